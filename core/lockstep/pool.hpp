// A thread-safe pool of connections to one URL that never hands out a broken one (semantics 8.2).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection.hpp"
#include "lockstep/export.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lockstep {

namespace detail {
struct pool_state;
}

/// A connection borrowed from a pool; it goes back when the handle is destroyed. Use it from one
/// thread at a time, like any connection. A handle may outlive its pool: its connection is then
/// closed when the handle is destroyed, instead of going back (semantics 8.5).
class LOCKSTEP_API pooled_connection {
public:
    /// Takes over `other`'s connection; `other` holds none afterwards.
    pooled_connection(pooled_connection&& other) noexcept;
    pooled_connection& operator=(pooled_connection&&) = delete;
    pooled_connection(const pooled_connection&) = delete;
    pooled_connection& operator=(const pooled_connection&) = delete;
    ~pooled_connection();

    /// The connection. Throws `usage_error` on a moved-from handle.
    connection& operator*() { return get(); }
    /// The connection's members. Throws `usage_error` on a moved-from handle.
    connection* operator->() { return &get(); }
    /// Does the handle hold a connection (false once moved from)?
    explicit operator bool() const noexcept { return connection_ != nullptr; }

private:
    friend class connection_pool;
    pooled_connection(std::shared_ptr<detail::pool_state> pool,
                      std::unique_ptr<connection> c) noexcept
        : pool_(std::move(pool)), connection_(std::move(c)) {}
    connection& get();

    std::shared_ptr<detail::pool_state> pool_;
    std::unique_ptr<connection> connection_;
};

/// How a pool treats its connections.
struct LOCKSTEP_API pool_options {
    /// A connection idle for longer than this is tested (`connection::is_alive`) before it is
    /// handed out, and replaced if the server went away (a restart, a failover). Zero tests
    /// every time.
    std::chrono::milliseconds check_idle_after{100};
    /// Installed on every connection the pool opens (connection::set_tracer); called from
    /// every thread that uses the pool, so it must be thread-safe (the ready tracers are).
    std::shared_ptr<lockstep::tracer> tracer{};
    tracer_options trace_options{}; ///< how the pool's tracer sees values (`tracer_options`)
};

/// Hands out up to `max_size` connections to `url` across threads. A connection that comes back
/// lost (`!is_usable()`) or inside an atomic block is discarded, never handed out again; one
/// that was idle is tested before it is handed out, so after a server restart the first block
/// of every thread gets a fresh connection. Nothing reconnects behind a caller's back inside a
/// transaction.
///
/// Example:
///
///     lockstep::connection_pool pool("postgresql://app@db/app", 8);
///     auto db = pool.acquire();
///     lockstep::atomic(*db, [&] { db->insert(authors, Author{.name = "Ada"}); });
class LOCKSTEP_API connection_pool {
public:
    /// A pool of at most `max_size` connections to `url`, opened when first needed.
    connection_pool(std::string url, std::size_t max_size, pool_options options = {});
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    /// Closes the idle connections. Borrowed ones stay usable and are closed when returned.
    ~connection_pool();

    /// Borrows a connection, opening one if none is idle and fewer than `max_size` exist, else
    /// waiting up to `timeout`. Throws `connection_error` if none frees up in time, and whatever
    /// `connection::open` throws.
    pooled_connection acquire(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    /// Connections open now, idle or borrowed.
    std::size_t size() const;
    /// Connections waiting in the pool.
    std::size_t idle() const;

private:
    std::shared_ptr<detail::pool_state> state_;
};

} // namespace lockstep
