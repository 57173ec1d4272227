// Cluster cases (tag [cluster]): what holds when another node of a multi-primary cluster writes
// the same row (Galera's commit-time certification). They run when the target is a Galera node
// and LOCKSTEP_GALERA_NODE2_URL names another node of its cluster (ci/services up galera);
// elsewhere they are skipped with the reason.
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <atomic>
#include <cstdlib>

using namespace conformance;

namespace {

/// A connection to another node of the target's cluster, reading what that node has applied of
/// every earlier commit (wsrep_sync_wait), or nothing.
std::optional<lockstep::connection> peer_node(lockstep::connection& db) {
    const char* url = std::getenv("LOCKSTEP_GALERA_NODE2_URL");
    if (db.target_name() != "galera" || url == nullptr || *url == '\0')
        return std::nullopt;
    auto peer = lockstep::connection::open(url);
    peer.execute("SET SESSION wsrep_sync_wait = 15"); // reads and writes wait for earlier commits
    return peer;
}

/// Sets the name of main row `id` to `name` through the other node, in its own transaction.
void write_from_peer(lockstep::connection& peer, const fixture& fx, std::int64_t id,
                     const std::string& name) {
    peer.execute("UPDATE " + peer.quote_identifier(fx.s.main.name()) + " SET name = ? WHERE id = ?",
                 name, id);
}

constexpr const char* no_cluster =
    "the target is not a node of a multi-primary cluster with a second node named "
    "(ci/services up galera sets LOCKSTEP_GALERA_NODE2_URL)";

} // namespace

TEST_CASE("On a cluster, a block that loses at COMMIT to another node's write raises "
          "transaction_conflict, runs on_rollback but not on_commit, and its receivers' rows are "
          "gone on every node",
          "[cluster][errors][hooks]") {
    fixture fx;
    auto peer = peer_node(fx.db);
    if (!peer)
        LOCKSTEP_SKIP(no_cluster);
    auto row = fx.db.insert(fx.s.main, main_model{.name = "before"});
    auto receiver =
        lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
            e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = "receiver"});
        });
    bool committed = false, rolled_back = false;
    const auto kind = error_class_of([&] {
        lockstep::atomic(fx.db, [&] {
            lockstep::on_commit(fx.db, [&] { committed = true; });
            lockstep::on_rollback(fx.db, [&] { rolled_back = true; });
            row.name = "this node";
            fx.db.update(fx.s.main, row);
            // The other node writes the same row and commits first: this block's writes fail
            // certification when it commits.
            write_from_peer(*peer, fx, row.id, "other node");
        });
    });
    CHECK(kind == "transaction_conflict");
    CHECK_FALSE(committed);
    CHECK(rolled_back);
    fx.log(std::string("on_commit ran: ") + (committed ? "yes" : "no") +
           ", on_rollback ran: " + (rolled_back ? "yes" : "no"));
    CHECK(fixture::names(fx.db, fx.s) == std::vector<std::string>{"other node"});
    CHECK(fixture::names(*peer, fx.s) == std::vector<std::string>{"other node"});
    CHECK(fx.messages().empty());
    CHECK(peer->count(fx.s.sig) == 0);
}

TEST_CASE("On a cluster, retry reruns a block that lost at COMMIT, so the operation and its "
          "receivers' rows commit exactly once on every node",
          "[cluster][retry]") {
    fixture fx;
    auto peer = peer_node(fx.db);
    if (!peer)
        LOCKSTEP_SKIP(no_cluster);
    auto row = fx.db.insert(fx.s.main, main_model{.name = "before"});
    auto receiver =
        lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
            e.db.insert(fx.s.sig,
                        signal_model{.main_id = e.instance.id, .message = e.instance.name});
        });
    int attempts = 0, hooks = 0;
    lockstep::retry(fx.db, [&] {
        ++attempts;
        lockstep::on_commit(fx.db, [&] { ++hooks; });
        auto current = fx.db.get(fx.s.main, row.id).value();
        current.name = current.name + "+this node";
        fx.db.update(fx.s.main, current);
        if (attempts == 1) // only the first attempt meets a concurrent write
            write_from_peer(*peer, fx, row.id, "other node");
    });
    CHECK(attempts == 2);
    CHECK(hooks == 1);
    fx.log("attempts: " + std::to_string(attempts) +
           ", on_commit hooks run: " + std::to_string(hooks));
    CHECK(fixture::names(fx.db, fx.s) == std::vector<std::string>{"other node+this node"});
    CHECK(fixture::names(*peer, fx.s) == std::vector<std::string>{"other node+this node"});
    CHECK(fx.messages() == std::vector<std::string>{"other node+this node"});
    CHECK(peer->count(fx.s.sig) == 1);
}

TEST_CASE("On a cluster, a multi-host URL passes over a node that is up but not synced",
          "[cluster][connection]") {
    fixture fx;
    auto peer = peer_node(fx.db);
    if (!peer)
        LOCKSTEP_SKIP(no_cluster);
    // The peer node first, this node second; the peer is desynced (as while it donates a state
    // transfer), so the connection must go to this node.
    const auto mine = lockstep::parse_connection_url(database_url());
    const auto theirs = lockstep::parse_connection_url(std::getenv("LOCKSTEP_GALERA_NODE2_URL"));
    auto text = database_url();
    const auto at = text.find('@') + 1;
    text.replace(at, text.find('/', at) - at,
                 theirs.host + ":" + std::to_string(theirs.port.value_or(3306)) + "," + mine.host +
                     ":" + std::to_string(mine.port.value_or(3306)));
    peer->execute("SET GLOBAL wsrep_desync = ON");
    struct resync {
        lockstep::connection& node;
        ~resync() { node.execute("SET GLOBAL wsrep_desync = OFF"); }
    } undo{*peer};
    auto db = lockstep::connection::open(text);
    const auto port = lockstep::as_integer(db.query("SELECT @@port").at(0).at(0));
    CHECK(port == mine.port.value_or(3306));
    fx.log("connected to the synced node");
}

TEST_CASE("On a Galera node, LOCK TABLES, GET_LOCK() and writes to a table without a primary key "
          "are refused before they are sent",
          "[cluster][schema]") {
    fixture fx;
    if (fx.db.target_name() != "galera")
        LOCKSTEP_SKIP("only a Galera node has these traps (semantics 8.12)");
    const auto main = fx.db.quote_identifier(fx.s.main.name());
    CHECK(error_class_of([&] { fx.db.execute("LOCK TABLES " + main + " WRITE"); }) ==
          "usage_error");
    CHECK(error_class_of([&] { fx.db.query("SELECT GET_LOCK('lockstep', 1)"); }) == "usage_error");
    // Text that merely mentions them is not refused.
    CHECK(fx.db.query("SELECT 'GET_LOCK(x)'").size() == 1);
    const auto keyless = fx.db.quote_identifier(fx.s.main.name() + "_keyless");
    fx.db.execute("CREATE TABLE " + keyless + " (name VARCHAR(20) NOT NULL) ENGINE=InnoDB");
    CHECK(error_class_of([&] {
              fx.db.execute("INSERT INTO " + keyless + " (name) VALUES (?)", "x");
          }) == "usage_error");
    CHECK(error_class_of([&] {
              lockstep::atomic(fx.db, [&] {
                  fx.db.execute("INSERT INTO " + keyless + " (name) VALUES (?)", "y");
              });
          }) == "usage_error");
    CHECK(fx.db.query("SELECT COUNT(*) FROM " + keyless).at(0).at(0) == lockstep::value(0));
    fx.db.execute("DROP TABLE " + keyless);
    fx.log("LOCK TABLES, GET_LOCK() and the keyless write refused");
}

namespace {

/// The URL of Galera node `n` from ci/services, or empty.
std::string galera_node_url(int n) {
    const char* url = std::getenv(("LOCKSTEP_GALERA_NODE" + std::to_string(n) + "_URL").c_str());
    return url == nullptr ? std::string() : std::string(url);
}

/// Waits up to 30 s until the node behind `db` reports `status` (wsrep_cluster_status).
bool wait_for_cluster_status(lockstep::connection& db, const std::string& status) {
    for (int i = 0; i < 300; ++i) {
        const auto rows = db.query("SHOW STATUS LIKE 'wsrep_cluster_status'");
        if (!rows.empty() && lockstep::as_text(rows.at(0).at(1)) == status)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

} // namespace

TEST_CASE("On a cluster, a pool's read through another node sees the commit the pool made just "
          "before it",
          "[cluster][replicas]") {
    fixture fx;
    auto peer = peer_node(fx.db);
    if (!peer)
        LOCKSTEP_SKIP(no_cluster);
    auto receiver =
        lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
            e.db.insert(fx.s.sig,
                        signal_model{.main_id = e.instance.id, .message = e.instance.name});
        });
    lockstep::connection_pool pool(database_url(), 2,
                                   {.replicas = {galera_node_url(2), galera_node_url(3)}});
    int from_replica = 0;
    for (int i = 1; i <= 50; ++i) {
        {
            auto db = pool.acquire();
            lockstep::atomic(*db, [&] {
                db->insert(fx.s.main, main_model{.name = "row " + std::to_string(i)});
            });
        }
        auto r = pool.read();
        from_replica += r.from_replica() ? 1 : 0;
        REQUIRE(r.count(fx.s.main) == i);
        REQUIRE(r.count(fx.s.sig) == i);
    }
    CHECK(from_replica == 50);
    // A replica read is read-only on the server: a write through it is misuse.
    auto r = pool.read();
    CHECK(error_class_of([&] {
              r.query("UPDATE " + fx.db.quote_identifier(fx.s.main.name()) + " SET name = 'x'");
          }) == "usage_error");
    fx.log("50 reads after 50 commits, each through another node, each saw its commit");
}

TEST_CASE("On a cluster, a node that leaves the primary component mid-block fails the block with "
          "connection_error, and retry through a pool commits it once on a node that is ready",
          "[cluster][retry][connection]") {
    fixture fx;
    auto peer = peer_node(fx.db);
    if (!peer || galera_node_url(3).empty())
        LOCKSTEP_SKIP(no_cluster);
    // Node 3 is cut off from the others (gmcast.isolate): it stays up but loses the primary
    // component, and answers 1047 ("WSREP has not yet prepared node") from then on.
    auto victim = lockstep::connection::open(galera_node_url(3));
    auto admin = lockstep::connection::open(galera_node_url(3));
    struct rejoin {
        lockstep::connection& node;
        ~rejoin() {
            node.execute("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'");
            // Until it is synced again, later cases could meet it not ready.
            for (int i = 0; i < 300; ++i) {
                const auto rows = node.query("SHOW STATUS LIKE 'wsrep_local_state_comment'");
                if (!rows.empty() && lockstep::as_text(rows.at(0).at(1)) == "Synced")
                    return;
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
    } undo{admin};
    // A pool over a multi-host URL that lists node 3 first, holding a connection to it.
    auto url = database_url();
    const auto mine = lockstep::parse_connection_url(url);
    const auto cut = lockstep::parse_connection_url(galera_node_url(3));
    const auto at = url.find('@') + 1;
    url.replace(at, url.find('/', at) - at,
                cut.host + ":" + std::to_string(cut.port.value_or(3306)) + "," + mine.host + ":" +
                    std::to_string(mine.port.value_or(3306)));
    // No liveness test when it is handed out again (it would find node 3 useless and replace
    // the connection): the block itself meets the error, as one already under way would.
    struct retry_counter : lockstep::tracer {
        std::atomic<int> reruns{0};
        void block(lockstep::block_event event, std::size_t, std::size_t) override {
            reruns += event == lockstep::block_event::retry ? 1 : 0;
        }
    };
    auto counter = std::make_shared<retry_counter>();
    lockstep::connection_pool pool(url, 1,
                                   {.check_idle_after = std::chrono::hours(1), .tracer = counter});
    {
        auto db = pool.acquire();
        REQUIRE(lockstep::as_integer(db->query("SELECT @@port").at(0).at(0)) ==
                cut.port.value_or(3306));
    }
    bool rolled_back = false, committed = false;
    std::int64_t native = 0;
    const auto kind = error_class_of([&] {
        try {
            lockstep::atomic(victim, [&] {
                lockstep::on_commit(victim, [&] { committed = true; });
                lockstep::on_rollback(victim, [&] { rolled_back = true; });
                victim.insert(fx.s.main, main_model{.name = "cut off"});
                admin.execute("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'");
                REQUIRE(wait_for_cluster_status(admin, "non-Primary"));
                victim.insert(fx.s.main, main_model{.name = "after the cut"});
            });
        } catch (const lockstep::error& e) {
            native = e.native_code();
            throw;
        }
    });
    CHECK(kind == "connection_error");
    CHECK(native == 1047);
    CHECK(rolled_back);
    CHECK_FALSE(committed);
    int attempts = 0;
    lockstep::retry(
        pool,
        [&](lockstep::connection& db) {
            ++attempts;
            CHECK(lockstep::as_integer(db.query("SELECT @@port").at(0).at(0)) ==
                  mine.port.value_or(3306));
            db.insert(fx.s.main, main_model{.name = "retried"});
        },
        5);
    // The first attempt met the pooled connection to node 3 (1047 at BEGIN, so its body never
    // ran); the rerun opened a connection to the next host that is ready.
    CHECK(counter->reruns == 1);
    CHECK(attempts == 1);
    CHECK(fixture::names(fx.db, fx.s) == std::vector<std::string>{"retried"});
    CHECK(fixture::names(*peer, fx.s) == std::vector<std::string>{"retried"});
    fx.log("kind: " + kind + ", on_rollback ran: " + (rolled_back ? "yes" : "no") +
           ", reruns through the pool: " + std::to_string(counter->reruns.load()));
}
