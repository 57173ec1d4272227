// Server kill and restart, on the durable servers of `ci/services up durable`: a server SIGKILLed
// inside a block, between blocks, during a long statement and inside retry, and a connection
// dropped just before or just after COMMIT reaches the server (through commit_proxy). Each raises
// connection_error or commit_outcome_unknown as docs/semantics.md says, nothing acknowledged is
// lost, no hook runs for work that did not commit, and a pool recovers by itself.
// The engine is chosen by LOCKSTEP_FAULT_TARGET: postgresql, mysql, soci+postgresql, soci+mysql.
// SPDX-License-Identifier: MIT
#include "commit_proxy.hpp"
#include "fault_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <future>

using namespace lockstep;
using namespace reliability;

namespace {

struct target {
    std::string url;     // the durable server's URL, with soci+ in front where asked
    std::string service; // ci/services name of the server
    std::string engine;  // postgresql or mysql
};

const target& current_target() {
    static const target t = [] {
        const char* name = std::getenv("LOCKSTEP_FAULT_TARGET");
        const std::string which = name ? name : "postgresql";
        const bool soci = which.starts_with("soci+");
        const std::string engine = soci ? which.substr(5) : which;
        const auto url = url_from_env(engine == "postgresql" ? "LOCKSTEP_DURABLE_POSTGRESQL_URL"
                                                             : "LOCKSTEP_DURABLE_MYSQL_URL");
        return target{soci ? "soci+" + url : url,
                      engine == "postgresql" ? "postgresql-durable" : "mariadb-durable", engine};
    }();
    return t;
}

void services(const std::string& verb) {
    const char* script = std::getenv("LOCKSTEP_SERVICES_SCRIPT");
    REQUIRE(script != nullptr);
    const auto command = std::string(script) + " " + verb + " " + current_target().service;
    REQUIRE(std::system(command.c_str()) == 0);
}

/// Kills the server now; starts it again when the scope ends, whatever happened.
class server_kill {
public:
    server_kill() { services("kill"); }
    ~server_kill() { restart(); }
    void restart() {
        if (!restarted_)
            services("start");
        restarted_ = true;
    }

private:
    bool restarted_ = false;
};

/// The URL of the current target, through the proxy's port instead of the server's.
std::string through(const commit_proxy& proxy) {
    auto url = parse_connection_url(current_target().url);
    return url.scheme + "://" + url.user + ":" + url.password +
           "@127.0.0.1:" + std::to_string(proxy.port()) + "/" + url.database;
}

struct fixture {
    fixture() : s("restart"), db(connection::open(current_target().url)) {
        db.drop_tables(s.parents, s.children);
        db.create_tables(s.parents, s.children);
    }
    ~fixture() {
        try {
            auto cleaner = connection::open(current_target().url);
            cleaner.drop_tables(s.parents, s.children);
        } catch (...) {
        }
    }
    std::vector<std::string> committed() {
        auto reader = connection::open(current_target().url);
        std::vector<std::string> names;
        for (const auto& p : reader.all(s.parents))
            names.push_back(p.name);
        CHECK(reader.count(s.children) == static_cast<std::int64_t>(names.size())); // whole pairs
        return names;
    }
    pair_schema s;
    connection db;
    subscription receiver = s.connect_child_writer();
};

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("A server killed inside a block: connection_error, no on_commit hook, nothing of the "
          "block committed; after the restart a pool's next block works",
          "[reliability][server]") {
    fixture fx;
    connection_pool pool(current_target().url, 2);
    { auto warm = pool.acquire(); } // an idle connection the restart will kill
    bool committed_hook = false;
    const auto kind = error_kind_of([&] {
        atomic(fx.db, [&] {
            fx.db.insert(fx.s.parents, parent{.id = 0, .name = "inside"});
            on_commit(fx.db, [&] { committed_hook = true; });
            server_kill kill;
            kill.restart();
            fx.db.insert(fx.s.parents, parent{.id = 0, .name = "after the kill"});
        });
    });
    CHECK(kind == "connection_error");
    CHECK_FALSE(committed_hook);
    CHECK_FALSE(fx.db.is_usable());
    CHECK(error_kind_of([&] { fx.db.count(fx.s.parents); }) == "connection_error");
    auto fresh = pool.acquire(); // replaced by the pool's liveness test
    CHECK(error_kind_of([&] {
              atomic(*fresh, [&] { fresh->insert(fx.s.parents, parent{.id = 0, .name = "pool"}); });
          }) == "none");
    CHECK(fx.committed() == strings{"pool"});
}

TEST_CASE("A server killed between blocks keeps every acknowledged block, and the old connection "
          "raises connection_error instead of reconnecting",
          "[reliability][server]") {
    fixture fx;
    for (int i = 0; i < 20; ++i)
        atomic(fx.db, [&] {
            fx.db.insert(fx.s.parents, parent{.id = 0, .name = "acked " + std::to_string(i)});
        });
    { server_kill kill; }
    CHECK(error_kind_of([&] {
              atomic(fx.db, [&] { fx.db.insert(fx.s.parents, parent{.id = 0, .name = "no"}); });
          }) == "connection_error");
    CHECK(fx.committed().size() == 20);
}

TEST_CASE("A server killed during a long statement: connection_error at once, not a hang",
          "[reliability][server]") {
    fixture fx;
    const std::string sleep_sql =
        current_target().engine == "postgresql" ? "SELECT pg_sleep(30)" : "SELECT SLEEP(30)";
    const auto started = std::chrono::steady_clock::now();
    auto killer = std::async(std::launch::async, [] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        return std::make_unique<server_kill>();
    });
    const auto kind = error_kind_of([&] {
        atomic(fx.db, [&] {
            fx.db.insert(fx.s.parents, parent{.id = 0, .name = "before the long statement"});
            fx.db.query(sleep_sql);
        });
    });
    const auto waited = std::chrono::steady_clock::now() - started;
    killer.get().reset(); // restarts the server
    CHECK(kind == "connection_error");
    CHECK(waited < std::chrono::seconds(15));
    CHECK(fx.committed().empty());
}

TEST_CASE("A server killed inside retry: connection_error is not retried and nothing commits",
          "[reliability][server]") {
    fixture fx;
    int attempts = 0;
    const auto kind = error_kind_of([&] {
        retry(
            fx.db,
            [&] {
                ++attempts;
                fx.db.insert(fx.s.parents, parent{.id = 0, .name = "attempt"});
                server_kill kill;
                kill.restart();
                fx.db.insert(fx.s.parents, parent{.id = 0, .name = "second"});
            },
            5);
    });
    CHECK(kind == "connection_error");
    CHECK(attempts == 1);
    CHECK(fx.committed().empty());
}

TEST_CASE("A connection dropped before COMMIT reaches the server: commit_outcome_unknown, no hook, "
          "and the block did not commit",
          "[reliability][server][commit]") {
    fixture fx;
    commit_proxy proxy(*parse_connection_url(current_target().url).port);
    auto db = connection::open(through(proxy));
    bool hook = false;
    proxy.set_mode(commit_proxy::mode::drop_before_commit);
    const auto kind = error_kind_of([&] {
        atomic(db, [&] {
            db.insert(fx.s.parents, parent{.id = 0, .name = "unsent commit"});
            on_commit(db, [&] { hook = true; });
        });
    });
    CHECK(kind == "commit_outcome_unknown");
    CHECK(proxy.drops() == 1);
    CHECK_FALSE(hook);
    CHECK_FALSE(db.is_usable());
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the server ends the session
    CHECK(fx.committed().empty());
}

TEST_CASE("A connection dropped after COMMIT reached the server: commit_outcome_unknown, no hook, "
          "and the block did commit",
          "[reliability][server][commit]") {
    fixture fx;
    commit_proxy proxy(*parse_connection_url(current_target().url).port);
    auto db = connection::open(through(proxy));
    bool hook = false;
    proxy.set_mode(commit_proxy::mode::drop_after_commit);
    const auto kind = error_kind_of([&] {
        atomic(db, [&] {
            db.insert(fx.s.parents, parent{.id = 0, .name = "unheard commit"});
            on_commit(db, [&] { hook = true; });
        });
    });
    CHECK(kind == "commit_outcome_unknown");
    CHECK(proxy.drops() == 1);
    CHECK_FALSE(hook);
    CHECK(fx.committed() == strings{"unheard commit"});
}
