// Unit tests of the test helpers: a test transaction always rolls back and lets durable blocks
// run inside it; capture_on_commit collects the hooks a body registers.
// SPDX-License-Identifier: MIT
#include "lockstep/testing.hpp"

#include "lockstep/atomic.hpp"
#include "testing/fake_session.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;
using calls = std::vector<std::string>;

TEST_CASE("A test transaction rolls back whatever its test did, and runs no on_commit hook",
          "[testing]") {
    lockstep::testing::fake_connection f;
    bool hook_ran = false;
    {
        lockstep::testing::test_transaction tx(f.db);
        f.db.execute("INSERT INTO t VALUES (1)");
        atomic(f.db, [&] { on_commit(f.db, [&] { hook_ran = true; }); });
    }
    CHECK_FALSE(hook_ran);
    CHECK_FALSE(f.db.in_atomic_block());
    CHECK(f.session->calls() == calls{"begin", "execute INSERT INTO t VALUES (1)",
                                      "create_savepoint ls1", "release_savepoint ls1", "rollback"});
}

TEST_CASE("A durable block runs directly inside a test transaction, and only there", "[testing]") {
    lockstep::testing::fake_connection f;
    lockstep::testing::test_transaction tx(f.db);
    atomic(f.db, [&] { f.db.execute("SELECT 1"); }, {.durable = true});
    CHECK_THROWS_AS(atomic(f.db, [&] { atomic(f.db, [] {}, {.durable = true}); }), usage_error);
    CHECK_THROWS_AS(lockstep::testing::test_transaction(f.db), usage_error); // not nested
}

TEST_CASE("capture_on_commit returns the hooks a body registers, and runs them when asked",
          "[testing]") {
    lockstep::testing::fake_connection f;
    CHECK_THROWS_AS(lockstep::testing::capture_on_commit(f.db, [] {}), usage_error);
    lockstep::testing::test_transaction tx(f.db);
    std::vector<int> ran;
    on_commit(f.db, [&] { ran.push_back(0); }); // before the capture: not captured
    const auto hooks = lockstep::testing::capture_on_commit(f.db, [&] {
        on_commit(f.db, [&] { ran.push_back(1); });
        atomic(f.db, [&] { on_commit(f.db, [&] { ran.push_back(2); }); });
    });
    CHECK(hooks.size() == 2);
    CHECK(ran.empty());
    lockstep::testing::capture_on_commit(
        f.db, [&] { on_commit(f.db, [&] { ran.push_back(3); }); }, true);
    CHECK(ran == std::vector<int>{3});
    for (const auto& hook : hooks)
        hook();
    CHECK(ran == std::vector<int>{3, 1, 2});
}
