// A thread-safe pool of connections to one URL that never hands back a broken one (SPEC 8.2).
#pragma once

#include "lockstep/connection.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lockstep {

class connection_pool;

/// A connection borrowed from a pool; it goes back when the handle is destroyed. Use it from one
/// thread at a time, like any connection.
class pooled_connection {
public:
    pooled_connection(pooled_connection&& other) noexcept;
    pooled_connection& operator=(pooled_connection&&) = delete;
    pooled_connection(const pooled_connection&) = delete;
    pooled_connection& operator=(const pooled_connection&) = delete;
    ~pooled_connection();

    connection& operator*() noexcept { return *connection_; }
    connection* operator->() noexcept { return connection_.get(); }

private:
    friend class connection_pool;
    pooled_connection(connection_pool* pool, std::unique_ptr<connection> c) noexcept
        : pool_(pool), connection_(std::move(c)) {}

    connection_pool* pool_;
    std::unique_ptr<connection> connection_;
};

/// Hands out up to `max_size` connections to `url` across threads. A connection that comes back
/// lost (`!is_usable()`) or inside an atomic block is discarded, never handed out again;
/// nothing reconnects behind a caller's back.
///
/// Example:
///
///     lockstep::connection_pool pool("postgresql://app@db/app", 8);
///     auto db = pool.acquire();
///     lockstep::atomic(*db, [&] { db->insert(authors, Author{.name = "Ada"}); });
class connection_pool {
public:
    connection_pool(std::string url, std::size_t max_size);
    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;
    /// Every borrowed connection must have come back before the pool is destroyed.
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
    friend class pooled_connection;
    void give_back(std::unique_ptr<connection> c) noexcept;

    std::string url_;
    std::size_t max_size_;
    mutable std::mutex mutex_;
    std::condition_variable available_;
    std::vector<std::unique_ptr<connection>> idle_;
    std::size_t open_ = 0;
};

} // namespace lockstep
