// Test helpers for host applications: a rollback-per-test transaction, and Django's
// captureOnCommitCallbacks.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection.hpp"
#include "lockstep/export.hpp"

#include <functional>
#include <utility>
#include <vector>

namespace lockstep::testing {

/// Runs a test inside a transaction that is rolled back when the object is destroyed, so tests
/// that share a database do not see each other's rows (Django's TestCase). Code under test that
/// opens a `durable` block still runs: directly inside a test transaction, a durable block is
/// nested like any other. on_commit hooks never run (nothing commits); capture them with
/// `capture_on_commit`.
///
/// Example (Catch2):
///
///     TEST_CASE("A new author gets a profile") {
///         lockstep::testing::test_transaction tx(db);
///         create_author(db, "Ada");                 // may use atomic(..., {.durable = true})
///         CHECK(db.count(profiles) == 1);
///     }                                             // rolled back here
class LOCKSTEP_API test_transaction {
public:
    /// Opens the test's transaction. Throws `usage_error` inside another block.
    explicit test_transaction(connection& db)
        : db_(db), index_(detail::connection_access::transactions(db).open_test_block()) {}
    ~test_transaction() { detail::connection_access::transactions(db_).close_test_block(index_); }
    test_transaction(const test_transaction&) = delete;
    test_transaction& operator=(const test_transaction&) = delete;

private:
    connection& db_;
    std::size_t index_;
};

/// Runs `body` and returns the on_commit hooks it registered, in order, without committing
/// anything (Django's captureOnCommitCallbacks). With `execute`, runs them too, after `body`.
/// The hooks stay registered with their transaction. Needs an open block, usually a
/// `test_transaction`: outside one, on_commit runs hooks at once and there is nothing to
/// capture (`usage_error`).
///
/// Example:
///
///     lockstep::testing::test_transaction tx(db);
///     auto hooks = lockstep::testing::capture_on_commit(db, [&] { place_order(db); });
///     CHECK(hooks.size() == 1);
///     hooks[0]();                                // run the notification it would send
template <class Body>
std::vector<std::function<void()>> capture_on_commit(connection& db, Body&& body,
                                                     bool execute = false) {
    if (!db.in_atomic_block())
        throw usage_error("capture_on_commit needs an open atomic block (a test_transaction): "
                          "outside one, on_commit runs each hook at once.");
    const auto mark = detail::connection_access::transactions(db).commit_hook_count();
    std::forward<Body>(body)();
    auto hooks = detail::connection_access::transactions(db).commit_hooks_since(mark);
    if (execute)
        for (auto& hook : hooks)
            hook();
    return hooks;
}

} // namespace lockstep::testing
