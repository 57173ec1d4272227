// Internals of lockstep::connection that its inline templates need: the per-connection state,
// the owner guard (semantics 8.4) and a parameter buffer. Not part of the API.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/detail/run_block.hpp"
#include "lockstep/detail/transaction_manager.hpp"
#include "lockstep/export.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/trace.hpp"
#include "lockstep/value.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace lockstep {

class connection;

namespace detail {

/// SQL for one table on one engine, built once per connection.
struct LOCKSTEP_API table_sql {
    /// The session's plans for the one-row INSERTs, made when first used (insert_plan_index
    /// says which is which). Mutable: a plan is made through the const entry the lookup returns.
    /// A write reads its plan and its text: they come first, in the entry's first cache line.
    alignas(64) mutable std::array<std::unique_ptr<spi::insert_plan>, 3> insert_plans;
    std::string insert_generated_key; // every column but the key
    std::string insert_given_key;     // every column
    std::string update_by_key;        // SET every column but the key, WHERE key
    std::string delete_by_key;
    std::string select_columns; // SELECT every column FROM table
    std::string key_column;     // quoted
    std::vector<std::string> quoted_columns;
    /// bulk_insert's statements of bulk_rows_per_statement rows each, built when first used.
    std::string bulk_generated_key;
    std::string bulk_given_key;
    /// bulk_insert's COPY targets, `"t" ("a", "b")`, for engines that can_copy_rows().
    std::string copy_generated_key;
    std::string copy_given_key;
};

/// Which of table_sql::insert_plans runs a one-row INSERT: the three differ in their text or
/// in whether the engine is asked for the key.
constexpr std::size_t insert_plan_index(bool given_key, bool read_key) noexcept {
    return given_key ? 0 : read_key ? 1 : 2;
}

/// How many rows one bulk_insert statement carries: at most 999 parameters (the lowest limit of
/// any engine: SQLite before 3.32) and at most 500 rows.
constexpr std::size_t bulk_rows_per_statement(std::size_t columns) noexcept {
    return columns == 0 ? 1 : std::max<std::size_t>(1, std::min<std::size_t>(500, 999 / columns));
}

/// The bytes of text or blob a parameter carries, to keep one bulk statement well under a
/// server's packet limit.
inline std::size_t param_bytes(const param& p) noexcept {
    if (const auto* text = std::get_if<std::string_view>(&p))
        return text->size();
    if (const auto* bytes = std::get_if<std::span<const std::byte>>(&p))
        return bytes->size();
    return 8;
}

/// A few parameters on the stack, more on the heap: the hot path allocates nothing, and the
/// stack slots are not initialised (every slot is written before `view` exposes it).
class LOCKSTEP_API param_buffer {
public:
    static_assert(std::is_trivially_copyable_v<param> && std::is_trivially_destructible_v<param>);
    explicit param_buffer(std::size_t size)
        : data_(size > inline_count ? allocate(size) : reinterpret_cast<param*>(inline_)),
          heap_(size > inline_count ? data_ : nullptr) {}
    ~param_buffer() { delete[] heap_; }
    param_buffer(const param_buffer&) = delete;
    param_buffer& operator=(const param_buffer&) = delete;
    /// Writes slot `i` (a placement copy: the slot may hold no object yet).
    void set(std::size_t i, const param& p) noexcept { new (data_ + i) param(p); }
    /// Room for the `size` parameters, for writers that construct them in place.
    param* data() noexcept { return data_; }
    std::span<const param> view(std::size_t count) const { return {data_, count}; }

private:
    // Out of line and cold: a table of more than 16 columns is rare, and inlined, the heap's
    // loop sat among every write's hot instructions.
    [[gnu::noinline, gnu::cold]] static param* allocate(std::size_t size) {
        return new param[size];
    }
    static constexpr std::size_t inline_count = 16;
    alignas(param) std::byte inline_[inline_count * sizeof(param)];
    param* data_;
    param* heap_;
};

/// Bumped in every child process a fork creates (pthread_atfork): a connection opened before
/// the fork refuses to work in the child, whose use would corrupt the parent's session.
extern LOCKSTEP_API std::atomic<std::uint32_t> fork_generation;

/// An address unique to the calling thread while it lives: the owner mark of a connection.
LOCKSTEP_API inline std::uintptr_t this_thread_token() noexcept {
    static thread_local char token;
    return reinterpret_cast<std::uintptr_t>(&token);
}

// Aligned to a cache line, with what every write reads first: the owner mark, the session, the
// tracer's pointer, the recent tables' SQL and the transaction manager's own hot fields (declared
// first there) fill its first four lines (232 bytes). A savepoint op's working set sits at the size
// of the level-1 data cache, so each line spared keeps one of the engine's (docs/performance.md).
struct LOCKSTEP_API connection_state {
    connection_state(std::unique_ptr<spi::session> s, isolation_level level)
        : session(std::move(s)), pipelined(session->pipelines()), transactions(*session, level),
          opened_in(fork_generation.load(std::memory_order_relaxed)) {}
    /// The thread inside a call (or an atomic block) on this connection now, or 0 (semantics
    /// 8.2). One compare-and-swap on entry to the outermost call, one store on exit.
    alignas(64) std::atomic<std::uintptr_t> owner{0};
    std::unique_ptr<spi::session> session;
    std::shared_ptr<lockstep::tracer> tracer; // nullptr: nobody listens (one branch per statement)
    /// Does the session queue writes inside blocks (semantics 10)? Asked once.
    bool pipelined;
    /// The last few tables written, checked before the map: a write and its receivers' writes
    /// touch a handful of tables over and over.
    struct recent_table {
        std::uint64_t serial = 0;
        const table_sql* sql = nullptr;
    };
    std::array<recent_table, 4> recent_sql{};
    transaction_manager transactions;
    std::size_t next_recent_sql = 0;
    std::uint32_t opened_in; // the fork_generation when the connection was opened
    std::unordered_map<std::uint64_t, table_sql> sql_cache; // never shrinks: entries are stable
    tracer_options trace_options;
};

[[noreturn]] LOCKSTEP_API void throw_moved_from();
[[noreturn]] LOCKSTEP_API void throw_used_by_two_threads();
[[noreturn]] LOCKSTEP_API void throw_used_after_fork();

/// Marks the calling thread as the connection's user for the guard's life, so a second thread
/// that enters meanwhile gets `usage_error` instead of corrupting the session (semantics 8.4).
/// Calls nested in the same thread (a receiver's write inside `insert`, statements inside an
/// atomic block) find the mark theirs and pass at the cost of one load.
class LOCKSTEP_API owner_guard {
public:
    explicit owner_guard(connection_state* state) {
        // Only the nested call's test is inline (a receiver's write, a statement inside a
        // block): it runs several times per write, the outermost entry once.
        if (state != nullptr && state->owner.load(std::memory_order_relaxed) == this_thread_token())
            [[likely]]
            return; // an outer call of this thread holds the mark
        owner_ = acquire(state);
    }
    ~owner_guard() {
        if (owner_ != nullptr)
            owner_->store(0, std::memory_order_release);
    }
    owner_guard(const owner_guard&) = delete;
    owner_guard& operator=(const owner_guard&) = delete;

private:
    /// Takes the mark for the calling thread, which does not hold it (or throws why it cannot:
    /// moved from, another thread's, opened before a fork); returns it, to clear.
    [[gnu::noinline]] static std::atomic<std::uintptr_t>* acquire(connection_state* state);
    std::atomic<std::uintptr_t>* owner_ = nullptr;
};

} // namespace detail

namespace detail {

/// The gate through which Lockstep's own templates reach a connection's internals; the
/// connection befriends it, so applications see no public accessor.
struct connection_access {
    static transaction_manager& transactions(connection& db);
    static owner_guard enter(connection& db);
    /// The transaction manager of `db`, which this thread has entered (`enter`'s guard lives):
    /// without transactions()'s second owner test.
    static transaction_manager& entered_transactions(connection& db);
    static spi::session& session(connection& db);
};

} // namespace detail
} // namespace lockstep
