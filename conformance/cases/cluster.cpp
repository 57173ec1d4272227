// Cluster cases (tag [cluster]): what holds when another node of a multi-primary cluster writes
// the same row (Galera's commit-time certification). They run when the target is a Galera node
// and LOCKSTEP_GALERA_NODE2_URL names another node of its cluster (ci/services up galera);
// elsewhere they are skipped with the reason.
// SPDX-License-Identifier: MIT
#include "common.hpp"

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
