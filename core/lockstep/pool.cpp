// The connection pool: idle connections behind a mutex, a condition variable for waiters, and
// the shared state that lets a borrowed handle outlive the pool.
// SPDX-License-Identifier: MIT
#include "lockstep/pool.hpp"

#include "lockstep/errors.hpp"

namespace lockstep {

namespace detail {

/// Everything a pool and its borrowed handles share; it lives as long as either does.
struct pool_state {
    struct idle_connection {
        std::unique_ptr<connection> c;
        std::chrono::steady_clock::time_point since;
    };

    std::string url;
    std::size_t max_size;
    pool_options options;
    mutable std::mutex mutex;
    std::condition_variable available;
    std::vector<idle_connection> idle;
    std::size_t open = 0;
    bool closed = false; // the pool object is gone: returned connections are closed

    void give_back(std::unique_ptr<connection> c) noexcept {
        // A broken connection, or one a caller left inside an atomic block, is never reused.
        const bool reusable = c->is_usable() && !c->in_atomic_block();
        {
            const std::lock_guard lock(mutex);
            if (reusable && !closed) {
                idle.push_back({std::move(c), std::chrono::steady_clock::now()});
            } else {
                --open;
            }
        }
        available.notify_one();
        c.reset(); // close a discarded connection outside the lock
    }
};

} // namespace detail

pooled_connection::pooled_connection(pooled_connection&& other) noexcept
    : pool_(std::move(other.pool_)), connection_(std::move(other.connection_)) {}

pooled_connection::~pooled_connection() {
    if (connection_)
        pool_->give_back(std::move(connection_));
}

connection& pooled_connection::get() {
    if (!connection_) [[unlikely]]
        throw usage_error("This pooled_connection was moved from; it holds no connection. Use the "
                          "handle it was moved to.");
    return *connection_;
}

connection_pool::connection_pool(std::string url, std::size_t max_size, pool_options options)
    : state_(std::make_shared<detail::pool_state>()) {
    if (max_size == 0)
        throw usage_error("A connection pool needs a max_size of at least 1.");
    state_->url = std::move(url);
    state_->max_size = max_size;
    state_->options = options;
}

connection_pool::~connection_pool() {
    std::vector<detail::pool_state::idle_connection> idle;
    {
        const std::lock_guard lock(state_->mutex);
        state_->closed = true;
        state_->open -= state_->idle.size();
        idle.swap(state_->idle);
    }
    state_->available.notify_all();
    // `idle` closes its connections here, outside the lock; borrowed ones close on return.
}

pooled_connection connection_pool::acquire(std::chrono::milliseconds timeout) {
    auto& s = *state_;
    std::unique_lock lock(s.mutex);
    for (;;) {
        if (!s.available.wait_for(lock, timeout,
                                  [&] { return !s.idle.empty() || s.open < s.max_size; }))
            throw connection_error("No pooled connection became free within " +
                                   std::to_string(timeout.count()) +
                                   " ms; return connections sooner or enlarge the pool.");
        if (s.idle.empty())
            break;
        auto entry = std::move(s.idle.back());
        s.idle.pop_back();
        const bool check =
            std::chrono::steady_clock::now() - entry.since >= s.options.check_idle_after;
        if (!check)
            return pooled_connection(state_, std::move(entry.c));
        // The liveness test may take a round trip: not under the lock.
        lock.unlock();
        if (entry.c->is_alive())
            return pooled_connection(state_, std::move(entry.c));
        entry.c.reset(); // the server went away while it was idle: replace it
        lock.lock();
        --s.open;
    }
    ++s.open; // reserve the slot, then open without holding the lock
    lock.unlock();
    try {
        auto opened = std::make_unique<connection>(connection::open(s.url));
        if (s.options.tracer)
            opened->set_tracer(s.options.tracer, s.options.trace_options);
        return pooled_connection(state_, std::move(opened));
    } catch (...) {
        lock.lock();
        --s.open;
        s.available.notify_one();
        throw;
    }
}

std::size_t connection_pool::size() const {
    const std::lock_guard lock(state_->mutex);
    return state_->open;
}

std::size_t connection_pool::idle() const {
    const std::lock_guard lock(state_->mutex);
    return state_->idle.size();
}

} // namespace lockstep
