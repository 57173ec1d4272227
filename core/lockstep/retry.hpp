// Retry of whole transactions after a conflict, on one connection or through a pool (semantics 7).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic.hpp"
#include "lockstep/pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

namespace lockstep {
namespace detail {

/// The wait before retry `attempt` (2 for the first rerun, 3, ...), semantics 7.4: 2 ms doubling
/// with each attempt up to 1 s, then drawn at random between half of that and all of it, so that
/// two blocks that conflicted with each other do not rerun in step and conflict again.
inline std::chrono::microseconds retry_wait(int attempt) {
    constexpr std::int64_t first_us = 2'000, longest_us = 1'000'000;
    const int doublings = std::clamp(attempt - 2, 0, 20); // 2 ms << 9 is past 1 s already
    const auto ceiling = std::min(first_us << doublings, longest_us);
    thread_local std::minstd_rand random{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
    return std::chrono::microseconds(pick(random));
}

} // namespace detail

/// Runs `body` as an outermost atomic block, and reruns it when it fails with a
/// `transaction_conflict` (deadlock, serialization failure, lock timeout), up to `attempts`
/// times in all, waiting a little longer before each retry (from 2 ms, doubling, up to 1 s, with
/// jitter: detail::retry_wait); `options` apply to every attempt. Never
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
    for (int attempt = 1;; ++attempt) {
        try {
            return atomic(db, body, options);
        } catch (const transaction_conflict&) {
            if (attempt >= attempts)
                throw;
        }
        std::this_thread::sleep_for(detail::retry_wait(attempt + 1));
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
/// doubling up to 1 s, with jitter (detail::retry_wait), between attempts: about ten attempts ride
/// out a PostgreSQL failover or a Galera node restart.
///
/// Example:
///
///     lockstep::retry(pool, [&](lockstep::connection& db) { place_order(db, order); }, 10);
template <class Body>
auto retry(connection_pool& pool, Body&& body, int attempts = 3, atomic_options options = {}) {
    if (attempts < 1)
        throw usage_error("retry() needs at least one attempt.");
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
        std::this_thread::sleep_for(detail::retry_wait(attempt + 1));
    }
}

} // namespace lockstep
