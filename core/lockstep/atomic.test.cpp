// Unit tests of atomic blocks and hooks: the exact SPI call sequences, against the fake session.
// SPDX-License-Identifier: MIT
#include "lockstep/atomic.hpp"

#include "lockstep/log.hpp"
#include "lockstep/retry.hpp"
#include "lockstep/savepoint.hpp"
#include "testing/fake_session.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

using namespace lockstep;
using calls = std::vector<std::string>;

namespace {

struct boom : std::runtime_error {
    boom() : std::runtime_error("boom") {}
};

} // namespace

TEST_CASE("A nested atomic block opens a savepoint and releases it when its body returns",
          "[atomic]") {
    testing::fake_connection f;
    atomic(f.db, [&] { atomic(f.db, [] {}); });
    CHECK(f.session->calls() ==
          calls{"begin", "create_savepoint ls1", "release_savepoint ls1", "commit"});
}

TEST_CASE("A nested block returns its body's value, and its body's exception leaves it unchanged",
          "[atomic]") {
    testing::fake_connection f;
    struct marked : std::runtime_error {
        int mark;
        explicit marked(int m) : std::runtime_error("marked"), mark(m) {}
    };
    const auto [kept, text, thrown] = atomic(f.db, [&] {
        const int inner = atomic(f.db, [] { return 42; });
        // Not copyable, only movable: the value is moved out of the block, never copied.
        auto owned = atomic(f.db, [] { return std::make_unique<std::string>("moved"); });
        int mark = 0;
        try {
            atomic(f.db, [] { throw marked(7); });
        } catch (const marked& e) {
            mark = e.mark;
        }
        return std::tuple{inner, *owned, mark};
    });
    CHECK(kept == 42);
    CHECK(text == "moved");
    CHECK(thrown == 7);
    CHECK(f.session->calls() == calls{"begin", "create_savepoint ls1", "release_savepoint ls1",
                                      "create_savepoint ls1", "release_savepoint ls1",
                                      "create_savepoint ls1", "rollback_to_savepoint ls1",
                                      "release_savepoint ls1", "commit"});
}

TEST_CASE("An outermost block whose body throws rolls back and rethrows the same exception",
          "[atomic]") {
    testing::fake_connection f;
    CHECK_THROWS_AS(atomic(f.db, [] { throw boom(); }), boom);
    CHECK(f.session->calls() == calls{"begin", "rollback"});
    CHECK_FALSE(f.db.in_atomic_block());
}

TEST_CASE("A failing nested block rolls back to its savepoint and the outer block commits",
          "[atomic]") {
    testing::fake_connection f;
    atomic(f.db, [&] { CHECK_THROWS_AS(atomic(f.db, [] { throw boom(); }), boom); });
    CHECK(f.session->calls() == calls{"begin", "create_savepoint ls1", "rollback_to_savepoint ls1",
                                      "release_savepoint ls1", "commit"});
}

TEST_CASE("A failing block without a savepoint makes the enclosing block roll back silently",
          "[atomic]") {
    testing::fake_connection f;
    atomic(f.db, [&] {
        CHECK_THROWS_AS(atomic(f.db, [] { throw boom(); }, {.savepoint = false}), boom);
        CHECK(get_rollback(f.db));
        CHECK_THROWS_AS(f.db.execute("SELECT 1"), usage_error);
    });
    CHECK(f.session->calls() == calls{"begin", "rollback"});
}

TEST_CASE("A durable block refuses to nest and sends nothing", "[atomic]") {
    testing::fake_connection f;
    atomic(f.db, [&] {
        f.session->clear_calls();
        CHECK_THROWS_AS(atomic(f.db, [] {}, {.durable = true}), usage_error);
        CHECK(f.session->calls().empty());
    });
    CHECK(f.session->calls() == calls{"commit"});
}

TEST_CASE("Only the outermost block may choose an isolation level", "[atomic]") {
    testing::fake_connection f;
    atomic(f.db,
           [&] {
               CHECK_THROWS_AS(atomic(f.db, [] {}, {.isolation = isolation_level::serializable}),
                               usage_error);
           },
           {.isolation = isolation_level::repeatable_read});
    CHECK(f.session->calls().front() == "begin REPEATABLE READ");
}

TEST_CASE("A failed statement poisons the block: later statements never reach the engine",
          "[atomic][errors]") {
    testing::fake_connection f;
    f.session->fail_next("execute INSERT", [] {
        throw integrity_error("duplicate", constraint_kind::unique, testing::from_engine());
    });
    atomic(f.db, [&] {
        CHECK_THROWS_AS(f.db.execute("INSERT INTO t VALUES (1)"), integrity_error);
        CHECK_THROWS_WITH(f.db.execute("SELECT 1"), Catch::Contains("An earlier statement"));
        CHECK_THROWS_AS(set_rollback(f.db, false), usage_error);
    });
    CHECK(f.session->calls() == calls{"begin", "execute INSERT INTO t VALUES (1)", "rollback"});
}

TEST_CASE("A nested block around a failing statement recovers the outer block", "[atomic]") {
    testing::fake_connection f;
    f.session->fail_next("execute INSERT", [] {
        throw integrity_error("duplicate", constraint_kind::unique, testing::from_engine());
    });
    atomic(f.db, [&] {
        CHECK_THROWS_AS(atomic(f.db, [&] { f.db.execute("INSERT INTO t VALUES (1)"); }),
                        integrity_error);
        f.db.execute("SELECT 1");
    });
    CHECK(f.session->calls().back() == "commit");
}

TEST_CASE("Validation errors raised before the engine leave the block usable", "[atomic]") {
    testing::fake_connection f;
    atomic(f.db, [&] {
        CHECK_THROWS_AS(f.db.execute("SELECT ?", std::string("bad\xFF")), data_error);
        CHECK_FALSE(get_rollback(f.db));
        f.db.execute("SELECT 1");
    });
    CHECK(f.session->calls().back() == "commit");
}

TEST_CASE("A conflict ends the whole transaction: no savepoint recovers it", "[atomic][errors]") {
    testing::fake_connection f;
    f.session->fail_next("execute UPDATE",
                         [] { throw transaction_conflict("deadlock", testing::from_engine()); });
    CHECK_THROWS_AS(atomic(f.db,
                           [&] {
                               CHECK_THROWS_AS(
                                   atomic(f.db, [&] { f.db.execute("UPDATE t SET a = 1"); }),
                                   transaction_conflict);
                               CHECK_THROWS_AS(f.db.execute("SELECT 1"), usage_error);
                           }),
                    transaction_conflict);
    CHECK(f.session->calls() ==
          calls{"begin", "create_savepoint ls1", "execute UPDATE t SET a = 1", "rollback"});
}

TEST_CASE("A transaction the engine ended behind the core's back cannot be recovered, and the "
          "block's exit raises the class that ended it",
          "[atomic][errors]") {
    testing::fake_connection f;
    f.session->fail_next("execute CREATE", [&] {
        f.session->end_transaction_behind_the_core();
        throw statement_error("implicit commit", testing::from_engine());
    });
    CHECK_THROWS_AS(
        atomic(
            f.db,
            [&] { CHECK_THROWS(atomic(f.db, [&] { f.db.execute("CREATE TABLE x (a int)"); })); }),
        statement_error);
}

TEST_CASE("A disk-full error that ended the transaction is raised again as resource_error when "
          "the caller swallowed it",
          "[atomic][errors]") {
    testing::fake_connection f;
    f.session->fail_next("execute INSERT", [&] {
        f.session->end_transaction_behind_the_core(); // SQLite rolls back on SQLITE_FULL
        throw resource_error("database or disk is full", testing::from_engine());
    });
    bool hook_ran = false;
    try {
        atomic(f.db, [&] {
            on_commit(f.db, [&] { hook_ran = true; });
            try {
                f.db.execute("INSERT INTO t VALUES (1)");
            } catch (const resource_error&) {
            }
        });
        FAIL("the block's exit returned");
    } catch (const resource_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("ended its transaction") &&
                                 Catch::Contains("resource_error") &&
                                 !Catch::Contains("after a error"));
    }
    CHECK_FALSE(hook_ran);
}

TEST_CASE("A connection lost during COMMIT raises commit_outcome_unknown and runs no hook",
          "[atomic][hooks]") {
    testing::fake_connection f;
    f.session->fail_next("commit", [] { throw connection_error("server closed the connection"); });
    bool committed = false, rolled_back = false;
    CHECK_THROWS_AS(atomic(f.db,
                           [&] {
                               on_commit(f.db, [&] { committed = true; });
                               on_rollback(f.db, [&] { rolled_back = true; });
                           }),
                    commit_outcome_unknown);
    CHECK_FALSE(committed);
    CHECK_FALSE(rolled_back);
    CHECK_FALSE(f.db.is_usable());
    CHECK_THROWS_AS(f.db.execute("SELECT 1"), connection_error);
}

TEST_CASE("A refused COMMIT is a rollback: on_rollback hooks run, on_commit hooks do not",
          "[atomic][hooks]") {
    testing::fake_connection f;
    f.session->fail_next("commit", [] {
        throw integrity_error("deferred foreign key", constraint_kind::foreign_key);
    });
    std::vector<std::string> ran;
    CHECK_THROWS_AS(atomic(f.db,
                           [&] {
                               on_commit(f.db, [&] { ran.push_back("commit"); });
                               on_rollback(f.db, [&] { ran.push_back("rollback"); });
                           }),
                    integrity_error);
    CHECK(ran == std::vector<std::string>{"rollback"});
    CHECK(f.session->calls().back() == "rollback");
}

TEST_CASE("on_commit hooks run after the outermost commit in registration order", "[hooks]") {
    testing::fake_connection f;
    std::vector<int> ran;
    atomic(f.db, [&] {
        on_commit(f.db, [&] { ran.push_back(1); });
        atomic(f.db, [&] { on_commit(f.db, [&] { ran.push_back(2); }); });
        CHECK(ran.empty());
        on_commit(f.db, [&] { ran.push_back(3); });
    });
    CHECK(ran == std::vector<int>{1, 2, 3});
}

TEST_CASE("A throwing on_commit hook does not stop later hooks; its error is rethrown", "[hooks]") {
    testing::fake_connection f;
    std::vector<int> ran;
    std::vector<std::string> logged;
    set_log_sink([&](log_level, std::string_view m) { logged.emplace_back(m); });
    CHECK_THROWS_AS(atomic(f.db,
                           [&] {
                               on_commit(f.db, [&] { ran.push_back(1); });
                               on_commit(f.db, [&] { throw boom(); });
                               on_commit(f.db, [&] { ran.push_back(3); });
                               on_commit(
                                   f.db, [&] { throw std::logic_error("robust"); }, true);
                           }),
                    boom);
    set_log_sink({});
    CHECK(ran == std::vector<int>{1, 3});
    REQUIRE(logged.size() == 1); // the robust hook's error went to the log
    CHECK_THAT(logged[0], Catch::Contains("robust"));
}

TEST_CASE("A hook registered while hooks run runs at once", "[hooks]") {
    testing::fake_connection f;
    std::vector<int> ran;
    atomic(f.db, [&] {
        on_commit(f.db, [&] {
            ran.push_back(1);
            on_commit(f.db, [&] { ran.push_back(11); });
        });
        on_commit(f.db, [&] {
            ran.push_back(2);
            on_commit(f.db, [&] { ran.push_back(12); });
        });
    });
    CHECK(ran == std::vector<int>{1, 11, 2, 12});
}

TEST_CASE("Rolling back a savepoint discards its hooks and those of released savepoints inside it",
          "[hooks][savepoints]") {
    testing::fake_connection f;
    std::vector<int> ran;
    atomic(f.db, [&] {
        on_commit(f.db, [&] { ran.push_back(1); });
        CHECK_THROWS_AS(atomic(f.db,
                               [&] {
                                   atomic(f.db,
                                          [&] { on_commit(f.db, [&] { ran.push_back(2); }); });
                                   on_commit(f.db, [&] { ran.push_back(3); });
                                   throw boom();
                               }),
                        boom);
        on_commit(f.db, [&] { ran.push_back(4); });
    });
    CHECK(ran == std::vector<int>{1, 4});
}

TEST_CASE("on_rollback hooks move to the enclosing block on release and run when it rolls back",
          "[hooks]") {
    testing::fake_connection f;
    std::vector<std::string> ran;
    atomic(f.db, [&] {
        CHECK_THROWS_AS(
            atomic(f.db,
                   [&] {
                       atomic(f.db, [&] { on_rollback(f.db, [&] { ran.push_back("inner"); }); });
                       CHECK(ran.empty());
                       throw boom();
                   }),
            boom);
        CHECK(ran == std::vector<std::string>{"inner"});
        on_rollback(f.db, [&] { ran.push_back("dropped at commit"); });
    });
    CHECK(ran == std::vector<std::string>{"inner"});
    CHECK_THROWS_AS(on_rollback(f.db, [] {}), usage_error);
}

// The core runs a nested block in one call (run_savepoint_block), and a savepoint at a depth it
// has met before through a shorter path: every sibling after the first takes it, and must behave
// as the first did.
TEST_CASE("Sibling savepoints after the first release, roll back, keep and drop hooks as the "
          "first does",
          "[atomic][savepoints][hooks]") {
    testing::fake_connection f;
    std::vector<std::string> ran;
    atomic(f.db, [&] {
        atomic(f.db, [] {});
        atomic(f.db, [&] {
            on_commit(f.db, [&] { ran.push_back("kept"); });
            atomic(f.db, [] {});
        });
        atomic(f.db, [&] {
            on_commit(f.db, [&] { ran.push_back("dropped"); });
            on_rollback(f.db, [&] { ran.push_back("rolled back"); });
            set_rollback(f.db, true);
        });
        CHECK(ran == std::vector<std::string>{"rolled back"});
        CHECK_FALSE(get_rollback(f.db));
        atomic(f.db, [&] { set_rollback(f.db, true); });
        CHECK_THROWS_AS(atomic(f.db, [] { throw boom(); }), boom);
        atomic(f.db, [&] { atomic(f.db, [] {}); });
    });
    CHECK(ran == std::vector<std::string>{"rolled back", "kept"});
    CHECK(f.session->calls() == calls{"begin",
                                      "create_savepoint ls1",
                                      "release_savepoint ls1",
                                      "create_savepoint ls1",
                                      "create_savepoint ls2",
                                      "release_savepoint ls2",
                                      "release_savepoint ls1",
                                      "create_savepoint ls1",
                                      "rollback_to_savepoint ls1",
                                      "release_savepoint ls1",
                                      "create_savepoint ls1",
                                      "rollback_to_savepoint ls1",
                                      "release_savepoint ls1",
                                      "create_savepoint ls1",
                                      "rollback_to_savepoint ls1",
                                      "release_savepoint ls1",
                                      "create_savepoint ls1",
                                      "create_savepoint ls2",
                                      "release_savepoint ls2",
                                      "release_savepoint ls1",
                                      "commit"});
}

TEST_CASE("A sibling savepoint whose SAVEPOINT or RELEASE fails marks the enclosing block, as the "
          "first would",
          "[atomic][savepoints][errors]") {
    const auto fails = [] { throw engine_error("savepoint failed", testing::from_engine()); };
    for (const auto* step : {"create_savepoint", "release_savepoint"}) {
        DYNAMIC_SECTION(step) {
            testing::fake_connection f;
            atomic(f.db, [&] {
                atomic(f.db, [] {});
                f.session->fail_next(step, fails);
                CHECK_THROWS_AS(atomic(f.db, [] {}), engine_error);
                CHECK(get_rollback(f.db));
                CHECK_THROWS_WITH(f.db.execute("SELECT 1"),
                                  Catch::Contains("An earlier statement"));
            });
            CHECK(f.session->calls().back() == "rollback");
            CHECK(std::count(f.session->calls().begin(), f.session->calls().end(), "commit") == 0);
        }
    }
}

TEST_CASE("set_rollback and get_rollback are usage errors outside an atomic block", "[atomic]") {
    testing::fake_connection f;
    CHECK_THROWS_AS(set_rollback(f.db, true), usage_error);
    CHECK_THROWS_AS(get_rollback(f.db), usage_error);
    atomic(f.db, [&] {
        set_rollback(f.db, true);
        CHECK(get_rollback(f.db));
    });
    CHECK(f.session->calls() == calls{"begin", "rollback"});
}

TEST_CASE("Transaction control through execute is refused without reaching the engine",
          "[atomic]") {
    testing::fake_connection f;
    CHECK_THROWS_AS(f.db.execute("COMMIT"), usage_error);
    atomic(f.db, [&] {
        CHECK_THROWS_AS(f.db.execute("ROLLBACK"), usage_error);
        CHECK_THROWS_AS(f.db.execute("SAVEPOINT x"), usage_error);
    });
    CHECK(f.session->calls() == calls{"begin", "commit"});
}

TEST_CASE("DDL inside a block is refused where the engine cannot roll it back", "[atomic]") {
    testing::fake_connection f;
    f.session->mutable_features().can_rollback_ddl = false;
    atomic(f.db, [&] { CHECK_THROWS_AS(f.db.execute("CREATE TABLE t (a int)"), usage_error); });
    f.db.execute("CREATE TABLE t (a int)");
    CHECK(f.session->calls() == calls{"begin", "commit", "execute CREATE TABLE t (a int)"});
}

TEST_CASE("A locking read outside an atomic block is refused", "[atomic]") {
    testing::fake_connection f;
    CHECK_THROWS_AS(f.db.query("SELECT * FROM t FOR UPDATE"), usage_error);
    atomic(f.db, [&] { f.db.query("SELECT * FROM t FOR UPDATE"); });
}

TEST_CASE("A manual savepoint rollback discards the hooks registered after it", "[savepoints]") {
    testing::fake_connection f;
    std::vector<int> ran;
    atomic(f.db, [&] {
        savepoint sp(f.db);
        on_commit(f.db, [&] { ran.push_back(1); });
        sp.rollback();
        on_commit(f.db, [&] { ran.push_back(2); });
        sp.release();
        CHECK_FALSE(sp.is_open());
        CHECK_THROWS_AS(sp.release(), usage_error);
    });
    CHECK(ran == std::vector<int>{2});
    CHECK_THROWS_AS(savepoint(f.db), usage_error);
}

TEST_CASE("retry reruns the block after a conflict and never inside another block", "[retry]") {
    testing::fake_connection f;
    f.session->fail_next("execute UPDATE",
                         [] { throw transaction_conflict("deadlock", testing::from_engine()); });
    int attempts = 0;
    retry(f.db, [&] {
        ++attempts;
        f.db.execute("UPDATE t SET a = 1");
    });
    CHECK(attempts == 2);
    atomic(f.db, [&] { CHECK_THROWS_AS(retry(f.db, [] {}), usage_error); });
    f.session->fail_next("execute UPDATE",
                         [] { throw integrity_error("x", constraint_kind::check); });
    attempts = 0;
    CHECK_THROWS_AS(retry(f.db,
                          [&] {
                              ++attempts;
                              f.db.execute("UPDATE t SET a = 1");
                          }),
                    integrity_error);
    CHECK(attempts == 1);
}

TEST_CASE("retry waits from 2 ms, doubling, never more than 1 s, each wait drawn between half and "
          "all of its step",
          "[retry]") {
    using std::chrono::microseconds;
    for (int round = 0; round < 200; ++round) {
        for (int attempt = 2; attempt <= 40; ++attempt) {
            const auto step =
                std::min<std::int64_t>(2'000LL << std::min(attempt - 2, 20), 1'000'000);
            const auto wait = detail::retry_wait(attempt).count();
            REQUIRE(wait >= step / 2);
            REQUIRE(wait <= step);
        }
    }
    // Jitter: twenty draws of one step are not all the same.
    std::set<std::int64_t> draws;
    for (int i = 0; i < 20; ++i)
        draws.insert(detail::retry_wait(8).count());
    CHECK(draws.size() > 1);
    CHECK(detail::retry_wait(1000) <= microseconds(1'000'000));
}

TEST_CASE("A backend's refusal before sending leaves the block usable", "[atomic][errors]") {
    testing::fake_connection f;
    f.session->fail_next("execute INSERT", [] {
        throw usage_error("refused before sending"); // no engine details: nothing was sent
    });
    atomic(f.db, [&] {
        CHECK_THROWS_AS(f.db.execute("INSERT INTO t VALUES (1)"), usage_error);
        CHECK_FALSE(get_rollback(f.db));
        f.db.execute("SELECT 1");
    });
    CHECK(f.session->calls().back() == "commit");
}
