// Retry of whole transactions after a conflict, on one connection or through a pool (semantics 7).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic.hpp"
#include "lockstep/pool.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace lockstep {

/// Runs `body` as an outermost atomic block, and reruns it when it fails with a
/// `transaction_conflict` (deadlock, serialization failure, lock timeout), up to `attempts`
/// times in all, waiting a little longer before each retry; `options` apply to every attempt. Never
/// retries any other error, and never after `commit_outcome_unknown`. Receivers run again on each
/// attempt; hooks of failed attempts are discarded with their transaction.
///
/// Example:
///
///     lockstep::retry(db, [&] { transfer(db, from, to, amount); }, 5);
template <class Body>
auto retry(connection& db, Body&& body, int attempts = 3, atomic_options options = {}) {
    if (db.in_atomic_block())
        throw usage_error("retry() must run the outermost atomic block: inside another block a "
                          "conflict has already ended the enclosing transaction.");
    if (attempts < 1)
        throw usage_error("retry() needs at least one attempt.");
    auto wait = std::chrono::milliseconds(2);
    for (int attempt = 1;; ++attempt) {
        try {
            return atomic(db, body, options);
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

/// Runs `body(db)` as an outermost atomic block on a connection `db` borrowed from `pool`, and
/// reruns it on a freshly borrowed connection when it fails with `transaction_conflict`, or with
/// `connection_error`: a lost connection, a cluster node that left the primary component, a
/// failover in progress, or no server reachable yet. A connection error before COMMIT leaves
/// nothing of the block, so a rerun cannot commit it twice (semantics 7.3). Never retries
/// `commit_outcome_unknown` (the block may have committed) or any other error. Waits from 2 ms,
/// doubling up to 1 s, between attempts: about ten attempts ride out a PostgreSQL failover or a
/// Galera node restart.
///
/// Example:
///
///     lockstep::retry(pool, [&](lockstep::connection& db) { place_order(db, order); }, 10);
template <class Body>
auto retry(connection_pool& pool, Body&& body, int attempts = 3, atomic_options options = {}) {
    if (attempts < 1)
        throw usage_error("retry() needs at least one attempt.");
    auto wait = std::chrono::milliseconds(2);
    for (int attempt = 1;; ++attempt) {
        try {
            auto db = pool.acquire();
            if (attempt > 1) // tracers of the pool hear the rerun, as with retry(db, ...)
                detail::connection_access::transactions(*db).note_retry(
                    static_cast<std::size_t>(attempt));
            return atomic(
                *db, [&] { return body(*db); }, options);
        } catch (const transaction_conflict&) {
            if (attempt >= attempts)
                throw;
        } catch (const connection_error&) {
            if (attempt >= attempts)
                throw;
        }
        std::this_thread::sleep_for(wait);
        wait = std::min(wait * 2, std::chrono::milliseconds(1000));
    }
}

} // namespace lockstep
