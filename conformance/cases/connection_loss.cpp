// A connection the server ends inside an open block: connection_error, no on_commit hook, no
// rows; lost during COMMIT: commit_outcome_unknown (semantics 2.2, 2.4, 8.2).
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <chrono>
#include <future>
#include <thread>

using namespace conformance;
using lockstep::atomic;

TEST_CASE("A connection ended by the server inside an open block raises connection_error, runs no "
          "on_commit hook and leaves no rows",
          "[connection][errors][hooks]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().can_terminate_sessions,
                             "the engine has no server sessions to end");
    auto sub = connect_child_creator(fx);
    auto admin = fx.second_connection();
    auto victim = fx.second_connection();
    bool committed_hook = false, rolled_back_hook = false;
    const auto kind = error_class_of([&] {
        atomic(victim, [&] {
            victim.insert(fx.s.main, main_model{.name = "lost"});
            lockstep::on_commit(victim, [&] { committed_hook = true; });
            lockstep::on_rollback(victim, [&] { rolled_back_hook = true; });
            admin.terminate_server_session(victim.server_session_id());
            victim.insert(fx.s.main, main_model{.name = "never"});
        });
    });
    CHECK(kind == "connection_error");
    CHECK_FALSE(committed_hook);
    CHECK(rolled_back_hook); // the server discards a lost session's transaction
    CHECK_FALSE(victim.is_usable());
    CHECK(error_class_of([&] { victim.count(fx.s.main); }) == "connection_error");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE(
    "A connection lost before COMMIT completes raises commit_outcome_unknown and runs no hook",
    "[connection][errors][hooks]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().can_terminate_sessions,
                             "the engine has no server sessions to end");
    auto admin = fx.second_connection();
    auto victim = fx.second_connection();
    bool committed_hook = false, rolled_back_hook = false;
    const auto kind = error_class_of([&] {
        atomic(victim, [&] {
            victim.insert(fx.s.main, main_model{.name = "unknown"});
            victim.sync(); // the write reached the server, pipelined or not (semantics 10.4)
            lockstep::on_commit(victim, [&] { committed_hook = true; });
            lockstep::on_rollback(victim, [&] { rolled_back_hook = true; });
            // The body returns; the session dies before its COMMIT reaches the server, which
            // the client cannot tell apart from dying during it.
            admin.terminate_server_session(victim.server_session_id());
        });
    });
    CHECK(kind == "commit_outcome_unknown");
    CHECK_FALSE(committed_hook);
    CHECK_FALSE(rolled_back_hook);
    CHECK_FALSE(victim.is_usable());
    CHECK(fx.names().empty());
}

TEST_CASE("A pool hands out a fresh connection after one was lost", "[connection]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().can_terminate_sessions,
                             "the engine has no server sessions to end");
    lockstep::connection_pool pool(database_url(), 1);
    {
        auto db = pool.acquire();
        fx.db.terminate_server_session(db->server_session_id());
        CHECK(error_class_of([&] { db->count(fx.s.main); }) == "connection_error");
    }
    auto fresh = pool.acquire();
    CHECK(fresh->is_usable());
    CHECK(fresh->count(fx.s.main) == 0);
}

TEST_CASE("A pooled connection whose server session ended while it was idle is replaced, so the "
          "next block works the first time",
          "[connection][pool]") {
    // What a server restart does to every idle connection of a pool (semantics 8.6).
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().can_terminate_sessions,
                             "the engine has no server sessions to end");
    lockstep::connection_pool pool(database_url(), 1,
                                   {.check_idle_after = std::chrono::milliseconds(0)});
    std::string id;
    {
        auto db = pool.acquire();
        id = db->server_session_id();
    }
    fx.db.terminate_server_session(id); // the connection is idle in the pool meanwhile
    std::this_thread::sleep_for(std::chrono::milliseconds(100)); // let the server close it
    auto db = pool.acquire();
    const auto kind = error_class_of(
        [&] { atomic(*db, [&] { db->insert(fx.s.main, main_model{.name = "after restart"}); }); });
    CHECK(kind == "none");
    CHECK(db->server_session_id() != id);
    CHECK(fx.names() == strings{"after restart"});
}

TEST_CASE("A second thread using a connection inside another thread's block gets usage_error, and "
          "only the owner's rows commit",
          "[connection][threads]") {
    fixture fx;
    std::promise<void> inside, checked;
    std::string second;
    std::thread other([&] {
        inside.get_future().wait();
        second = error_class_of_unrecorded(
            [&] { fx.db.insert(fx.s.main, main_model{.name = "intruder"}); });
        checked.set_value();
    });
    atomic(fx.db, [&] {
        create_main(fx, "owner 1");
        inside.set_value();
        checked.get_future().wait();
        create_main(fx, "owner 2");
    });
    other.join();
    CHECK(second == "usage_error");
    CHECK(fx.names() == strings{"owner 1", "owner 2"});
}
