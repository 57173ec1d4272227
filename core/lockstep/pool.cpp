// The connection pool: idle connections behind a mutex, a condition variable for waiters.
#include "lockstep/pool.hpp"

#include "lockstep/errors.hpp"

#include <cassert>

namespace lockstep {

pooled_connection::pooled_connection(pooled_connection&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

pooled_connection::~pooled_connection() {
    if (connection_)
        pool_->give_back(std::move(connection_));
}

connection_pool::connection_pool(std::string url, std::size_t max_size)
    : url_(std::move(url)), max_size_(max_size) {
    if (max_size_ == 0)
        throw usage_error("A connection pool needs a max_size of at least 1.");
}

connection_pool::~connection_pool() {
    assert(idle_.size() == open_ && "a pooled connection outlived its pool");
}

pooled_connection connection_pool::acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, timeout, [&] { return !idle_.empty() || open_ < max_size_; }))
        throw connection_error("No pooled connection became free within " +
                               std::to_string(timeout.count()) +
                               " ms; return connections sooner or enlarge the pool.");
    if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return pooled_connection(this, std::move(c));
    }
    ++open_; // reserve the slot, then open without holding the lock
    lock.unlock();
    try {
        return pooled_connection(this, std::make_unique<connection>(connection::open(url_)));
    } catch (...) {
        lock.lock();
        --open_;
        available_.notify_one();
        throw;
    }
}

void connection_pool::give_back(std::unique_ptr<connection> c) noexcept {
    // A broken connection, or one a caller left inside an atomic block, is never reused.
    const bool reusable = c->is_usable() && !c->in_atomic_block();
    {
        const std::lock_guard lock(mutex_);
        if (reusable)
            idle_.push_back(std::move(c));
        else
            --open_;
    }
    available_.notify_one();
    c.reset(); // close a discarded connection outside the lock
}

std::size_t connection_pool::size() const {
    const std::lock_guard lock(mutex_);
    return open_;
}

std::size_t connection_pool::idle() const {
    const std::lock_guard lock(mutex_);
    return idle_.size();
}

} // namespace lockstep
