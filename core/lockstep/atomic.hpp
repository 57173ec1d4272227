// The public transaction API: atomic blocks, the rollback flag, and on-commit / on-rollback hooks.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic_options.hpp"
#include "lockstep/connection.hpp"
#include "lockstep/detail/run_block.hpp"

#include <functional>
#include <type_traits>

namespace lockstep {

/// Runs `body` atomically on `db` and returns what `body` returns.
///
/// The outermost block opens a transaction; nested blocks open savepoints. If `body` returns,
/// the block commits (or releases its savepoint) and then, at the outermost COMMIT, runs the
/// on-commit hooks. If it throws, the block rolls back (to its savepoint) and the exception
/// propagates unchanged. A block marked for rollback (a failed statement, `set_rollback`) rolls
/// back when its body returns, without an exception, as in Django.
///
/// Example:
///
///     lockstep::atomic(db, [&] {
///         db.insert(authors, Author{.name = "Ada"}); // a post_save receiver adds a Profile
///         throw std::runtime_error("boom");          // neither row is left behind
///     });
template <class Body>
auto atomic(connection& db, Body&& body, const atomic_options& options = {})
    -> std::invoke_result_t<Body&> {
    const auto guard =
        detail::connection_access::enter(db); // the block belongs to this thread (semantics 8.4)
    // The guard has tested the owner (and thrown for a moved-from connection): not again.
    return detail::run_block(detail::connection_access::entered_transactions(db), options, body);
}

/// Marks the innermost block with a savepoint for rollback at exit (or clears the mark), without
/// an exception (semantics 1.4). `set_rollback(db, false)` cannot clear the mark of a failed
/// statement. Throws `usage_error` outside an atomic block.
inline void set_rollback(connection& db, bool rollback) {
    detail::connection_access::transactions(db).set_rollback(rollback);
}

/// Is the innermost block marked for rollback? Throws `usage_error` outside an atomic block.
inline bool get_rollback(connection& db) {
    return detail::connection_access::transactions(db).get_rollback();
}

/// Runs `hook` after the outermost COMMIT succeeds, in registration order, or at once outside a
/// transaction (semantics 4.1). Never on savepoint release, rollback, a failed COMMIT or an unknown
/// outcome. A throwing hook does not stop later hooks; the first error reaches the caller of the
/// committing block after all ran. A `robust` hook's error goes to the log sink instead.
///
/// Example:
///
///     lockstep::on_commit(db, [&] { mailer.send_welcome(author.id); });
inline void on_commit(connection& db, std::function<void()> hook, bool robust = false) {
    detail::connection_access::transactions(db).on_commit(std::move(hook), robust);
}

/// Runs `hook` after the block it was registered in rolls back (ROLLBACK TO its savepoint, or
/// ROLLBACK). On RELEASE it moves to the enclosing block; on COMMIT it is dropped (semantics 4.5).
/// Throws `usage_error` outside an atomic block.
inline void on_rollback(connection& db, std::function<void()> hook) {
    detail::connection_access::transactions(db).on_rollback(std::move(hook));
}

} // namespace lockstep
