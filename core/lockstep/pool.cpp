// The connection pool: idle connections behind a mutex, a condition variable for waiters, and
// the shared state that lets a borrowed handle outlive the pool; read replicas (semantics 8.11).
// SPDX-License-Identifier: MIT
#include "lockstep/pool.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

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
    std::function<void(connection&)> prepare; // run on each connection this pool opens
    mutable std::mutex mutex;
    std::condition_variable available;
    std::vector<idle_connection> idle;
    std::size_t open = 0;
    bool closed = false; // the pool object is gone: returned connections are closed
    /// Connections handed out so far; a read compares it with the count when it last asked the
    /// primary for its position (semantics 8.11).
    std::atomic<std::uint64_t> handed_out{0};

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

    std::size_t borrowed() const {
        const std::lock_guard lock(mutex);
        return open - idle.size();
    }

    std::unique_ptr<connection> take(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex);
        for (;;) {
            if (!available.wait_for(lock, timeout,
                                    [&] { return !idle.empty() || open < max_size; }))
                throw connection_error("No pooled connection became free within " +
                                       std::to_string(timeout.count()) +
                                       " ms; return connections sooner or enlarge the pool.");
            if (idle.empty())
                break;
            auto entry = std::move(idle.back());
            idle.pop_back();
            const bool check =
                std::chrono::steady_clock::now() - entry.since >= options.check_idle_after;
            if (!check)
                return handed(std::move(entry.c));
            // The liveness test may take a round trip: not under the lock.
            lock.unlock();
            if (entry.c->is_alive())
                return handed(std::move(entry.c));
            entry.c.reset(); // the server went away while it was idle: replace it
            lock.lock();
            --open;
        }
        ++open; // reserve the slot, then open without holding the lock
        lock.unlock();
        try {
            auto opened = std::make_unique<connection>(connection::open(url));
            if (options.tracer)
                opened->set_tracer(options.tracer, options.trace_options);
            if (prepare)
                prepare(*opened);
            return handed(std::move(opened));
        } catch (...) {
            lock.lock();
            --open;
            available.notify_one();
            throw;
        }
    }

    std::unique_ptr<connection> handed(std::unique_ptr<connection> c) {
        handed_out.fetch_add(1, std::memory_order_relaxed);
        return c;
    }
};

/// The pool's replicas and what a read needs to know about the primary (semantics 8.11).
struct replica_set {
    std::vector<std::shared_ptr<pool_state>> pools;
    std::atomic<std::size_t> next{0};        // round robin
    std::mutex position_mutex;               // guards the members below
    std::unique_ptr<connection> position_db; // a primary connection outside the pool's limit
    std::string position;                    // the primary's WAL position when last asked
    std::uint64_t position_handed_out = ~std::uint64_t{0};
};

namespace {

/// Makes a replica connection read-only on the server and, on Galera, causal: every read waits
/// until the node has applied what the cluster committed before it (wsrep_sync_wait).
void prepare_replica(connection& c) {
    const auto engine = c.engine_name();
    if (engine == "postgresql") {
        c.execute("SET default_transaction_read_only = on");
    } else if (c.target_name() == "galera") {
        c.execute("SET SESSION tx_read_only = 1"); // MariaDB 10.x name
        c.execute("SET SESSION wsrep_sync_wait = 1");
    } else {
        throw usage_error(
            "A read replica must be a PostgreSQL standby or a node of a Galera cluster; this one "
            "is " +
            std::string(c.target_name()) +
            ", whose replication gives Lockstep no position to wait for, so a read could miss "
            "the pool's own commits. Read from the primary (connection_pool::acquire) instead.");
    }
}

} // namespace

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
    if (!options.replicas.empty()) {
        const auto family = parse_connection_url(url).engine();
        if (family != "postgresql" && family != "mysql")
            throw usage_error("Read replicas need a PostgreSQL or Galera (mysql://) pool; this "
                              "pool's URL is " +
                              family + ". Remove pool_options::replicas.");
        replicas_ = std::make_shared<detail::replica_set>();
        for (const auto& replica : options.replicas) {
            auto pool = std::make_shared<detail::pool_state>();
            pool->url = replica;
            pool->max_size = max_size;
            pool->options = options;
            pool->options.replicas.clear();
            pool->prepare = detail::prepare_replica;
            replicas_->pools.push_back(std::move(pool));
        }
    }
    state_->url = std::move(url);
    state_->max_size = max_size;
    state_->options = std::move(options);
}

connection_pool::~connection_pool() {
    for (auto* s : all_states()) {
        std::vector<detail::pool_state::idle_connection> idle;
        {
            const std::lock_guard lock(s->mutex);
            s->closed = true;
            s->open -= s->idle.size();
            idle.swap(s->idle);
        }
        s->available.notify_all();
        // `idle` closes its connections here, outside the lock; borrowed ones close on return.
    }
}

std::vector<detail::pool_state*> connection_pool::all_states() const {
    std::vector<detail::pool_state*> states{state_.get()};
    if (replicas_)
        for (const auto& p : replicas_->pools)
            states.push_back(p.get());
    return states;
}

pooled_connection connection_pool::acquire(std::chrono::milliseconds timeout) {
    return pooled_connection(state_, state_->take(timeout));
}

std::optional<std::string> connection_pool::primary_position() {
    auto& r = *replicas_;
    const std::lock_guard lock(r.position_mutex);
    // Nothing handed out since the last answer and nothing borrowed now: no commit can have
    // happened through the pool since, so the last position still covers them all.
    const auto handed_out = state_->handed_out.load(std::memory_order_relaxed);
    if (handed_out == r.position_handed_out && state_->borrowed() == 0)
        return r.position;
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            if (!r.position_db || !r.position_db->is_usable())
                r.position_db = std::make_unique<connection>(connection::open(state_->url));
            // The insert position covers every commit acknowledged so far, also one whose
            // record is not yet written out (synchronous_commit = off).
            const auto rows = r.position_db->query("SELECT CAST(pg_current_wal_insert_lsn() AS "
                                                   "TEXT)");
            r.position = as_text(rows.at(0).at(0));
            r.position_handed_out = handed_out;
            return r.position;
        } catch (const connection_error&) {
            r.position_db.reset(); // a failover: ask the new primary once
        }
    }
    return std::nullopt;
}

replica_read connection_pool::read(std::chrono::milliseconds timeout) {
    const auto primary = [&] {
        return replica_read(acquire(timeout), false, parse_connection_url(state_->url).redacted());
    };
    if (!replicas_)
        return primary();
    auto& r = *replicas_;
    const auto first = r.next.fetch_add(1, std::memory_order_relaxed);
    const auto deadline = std::chrono::steady_clock::now() + state_->options.replica_wait;
    for (std::size_t i = 0; i < r.pools.size(); ++i) {
        auto& pool = r.pools[(first + i) % r.pools.size()];
        std::unique_ptr<connection> c;
        try {
            c = pool->take(timeout);
        } catch (const connection_error&) {
            continue; // a replica that is down: the next one, else the primary
        }
        pooled_connection handle(pool, std::move(c));
        const auto url = parse_connection_url(pool->url).redacted();
        if (handle->engine_name() != "postgresql") // Galera: causal reads (prepare_replica)
            return replica_read(std::move(handle), true, url);
        const auto position = primary_position();
        if (!position)
            break;
        // Wait until the standby has replayed the position, backing off from 1 ms to 16 ms.
        auto pause = std::chrono::milliseconds(1);
        for (;;) {
            // -1: the server is not in recovery (a promoted standby): not a replica now.
            const auto replayed = as_integer(
                handle
                    ->query("SELECT CASE WHEN pg_last_wal_replay_lsn() IS NULL THEN -1 "
                            "WHEN pg_last_wal_replay_lsn() >= CAST(? AS pg_lsn) THEN 1 ELSE 0 END",
                            *position)
                    .at(0)
                    .at(0));
            if (replayed < 0)
                break;
            if (replayed == 1)
                return replica_read(std::move(handle), true, url);
            if (std::chrono::steady_clock::now() + pause > deadline)
                break;
            std::this_thread::sleep_for(pause);
            pause = std::min(pause * 2, std::chrono::milliseconds(16));
        }
    }
    return primary();
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
