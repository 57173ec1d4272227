// A thread-safe pool of connections to one URL that never hands out a broken one (semantics 8.2),
// with read replicas that never serve a read older than the pool's own commits (8.11).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection.hpp"
#include "lockstep/export.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep {

namespace detail {
struct pool_state;
struct replica_set;
} // namespace detail

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
    /// Read replicas of the pool's database (semantics 8.11): PostgreSQL streaming standbys, or
    /// other nodes of the pool's Galera cluster. `connection_pool::read` sends plain reads to
    /// them; blocks and writes always go to the pool's own URL. Each replica gets up to
    /// `max_size` connections of its own.
    std::vector<std::string> replicas{};
    /// How long `connection_pool::read` waits for a replica to replay the pool's commits before
    /// it reads from the primary instead.
    std::chrono::milliseconds replica_wait{500};
};

/// A connection borrowed for plain reads outside atomic blocks (`connection_pool::read`): from
/// a replica that has replayed every commit made through the pool, or from the primary. It has
/// no writes and no blocks, so code that holds one cannot write to a replica by mistake; the
/// replica connection is read-only on the server too (semantics 8.11).
///
/// Example:
///
///     lockstep::connection_pool pool(primary_url, 8, {.replicas = {standby_url}});
///     lockstep::atomic(*pool.acquire(), [&] { ... });  // the primary
///     auto r = pool.read();                            // sees what that block committed
///     auto books = r.all(books_table);
class LOCKSTEP_API replica_read {
public:
    /// `connection::query`.
    template <class... Args> std::vector<row> query(std::string_view sql, const Args&... args) {
        return connection_->query(sql, args...);
    }
    /// `connection::get`.
    template <class Model> std::optional<Model> get(const table<Model>& t, std::int64_t key) {
        return connection_->get(t, key);
    }
    /// `connection::find`.
    template <class Model, class... Conditions>
    std::vector<Model> find(const table<Model>& t, const Conditions&... conditions) {
        return connection_->find(t, conditions...);
    }
    /// `connection::all`.
    template <class Model> std::vector<Model> all(const table<Model>& t) {
        return connection_->all(t);
    }
    /// `connection::count`.
    template <class Model, class... Conditions>
    std::int64_t count(const table<Model>& t, const Conditions&... conditions) {
        return connection_->count(t, conditions...);
    }
    /// `connection::exists`.
    template <class Model, class... Conditions>
    bool exists(const table<Model>& t, const Conditions&... conditions) {
        return connection_->exists(t, conditions...);
    }
    /// Does this read go to a replica (false: the primary, because no replica had caught up
    /// within `pool_options::replica_wait`, or none is configured)?
    bool from_replica() const noexcept { return from_replica_; }
    /// The URL read from, without its password.
    const std::string& redacted_url() const noexcept { return url_; }

private:
    friend class connection_pool;
    replica_read(pooled_connection c, bool from_replica, std::string url)
        : connection_(std::move(c)), from_replica_(from_replica), url_(std::move(url)) {}
    pooled_connection connection_;
    bool from_replica_;
    std::string url_;
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

    /// Borrows a connection for plain reads (semantics 8.11): from the next replica in turn that
    /// has replayed every commit made through this pool before the call, waiting up to
    /// `pool_options::replica_wait` for one to catch up, else from the primary. A host always
    /// reads its own writes. Without replicas, this is the primary. Throws as `acquire`.
    replica_read read(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    /// Connections open now, idle or borrowed.
    std::size_t size() const;
    /// Connections waiting in the pool.
    std::size_t idle() const;

private:
    std::vector<detail::pool_state*> all_states() const;
    std::optional<std::string> primary_position();

    std::shared_ptr<detail::pool_state> state_;
    std::shared_ptr<detail::replica_set> replicas_; // nullptr: no replicas
};

} // namespace lockstep
