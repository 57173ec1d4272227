// Retry of whole transactions after a conflict (semantics 7).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic.hpp"

#include <chrono>
#include <thread>

namespace lockstep {

/// Runs `body` as an outermost atomic block, and reruns it when it fails with a
/// `transaction_conflict` (deadlock, serialization failure, lock timeout), up to `attempts`
/// times in all, waiting a little longer before each retry. Never retries any other error, and
/// never after `commit_outcome_unknown`. Receivers run again on each attempt; hooks of failed
/// attempts are discarded with their transaction.
///
/// Example:
///
///     lockstep::retry(db, [&] { transfer(db, from, to, amount); }, 5);
template <class Body> auto retry(connection& db, Body&& body, int attempts = 3) {
    if (db.in_atomic_block())
        throw usage_error("retry() must run the outermost atomic block: inside another block a "
                          "conflict has already ended the enclosing transaction.");
    if (attempts < 1)
        throw usage_error("retry() needs at least one attempt.");
    auto wait = std::chrono::milliseconds(2);
    for (int attempt = 1;; ++attempt) {
        try {
            return atomic(db, body);
        } catch (const transaction_conflict&) {
            if (attempt >= attempts)
                throw;
        }
        std::this_thread::sleep_for(wait);
        wait *= 2;
        detail::connection_access::transactions(db).note_retry(static_cast<std::size_t>(attempt) +
                                                               1);
    }
}

} // namespace lockstep
