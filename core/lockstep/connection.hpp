// The connection: raw SQL with bound parameters, the typed model layer whose writes send the
// model signals, and the state that atomic blocks and hooks keep per connection.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/detail/run_block.hpp"
#include "lockstep/detail/transaction_manager.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/export.hpp"
#include "lockstep/features.hpp"
#include "lockstep/model_signals.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/table.hpp"
#include "lockstep/text_check.hpp"
#include "lockstep/trace.hpp"
#include "lockstep/value.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace lockstep {

/// An equality condition for `find`, `count` and `exists`; made by `lockstep::eq`.
template <class Model, class T> struct equals {
    T Model::*member;
    T value;
};

/// Matches rows whose `member` column equals `v` (`std::nullopt` matches NULL).
///
/// Example:
///
///     auto adas = db.find(authors, lockstep::eq(&Author::name, "Ada"));
template <class Model, class T, class V> equals<Model, T> eq(T Model::*member, V&& v) {
    return {member, T(std::forward<V>(v))};
}

namespace detail {

/// SQL for one table on one engine, built once per connection.
struct LOCKSTEP_API table_sql {
    std::string insert_generated_key; // every column but the key
    std::string insert_given_key;     // every column
    std::string update_by_key;        // SET every column but the key, WHERE key
    std::string delete_by_key;
    std::string select_columns; // SELECT every column FROM table
    std::string key_column;     // quoted
    std::vector<std::string> quoted_columns;
};

/// A few parameters on the stack, more on the heap: the hot path allocates nothing, and the
/// stack slots are not initialised (every slot is written before `view` exposes it).
class LOCKSTEP_API param_buffer {
public:
    static_assert(std::is_trivially_copyable_v<param> && std::is_trivially_destructible_v<param>);
    explicit param_buffer(std::size_t size)
        : data_(size > inline_count ? new param[size] : reinterpret_cast<param*>(inline_)),
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

struct LOCKSTEP_API connection_state {
    connection_state(std::unique_ptr<spi::session> s, isolation_level level)
        : session(std::move(s)), transactions(*session, level),
          opened_in(fork_generation.load(std::memory_order_relaxed)) {}
    /// The thread inside a call (or an atomic block) on this connection now, or 0 (semantics
    /// 8.2). One compare-and-swap on entry to the outermost call, one store on exit.
    std::atomic<std::uintptr_t> owner{0};
    std::unique_ptr<spi::session> session;
    transaction_manager transactions;
    std::unordered_map<std::uint64_t, table_sql> sql_cache; // never shrinks: entries are stable
    /// The last few tables written, checked before the map: a write and its receivers' writes
    /// touch a handful of tables over and over.
    struct recent_table {
        std::uint64_t serial = 0;
        const table_sql* sql = nullptr;
    };
    std::array<recent_table, 4> recent_sql{};
    std::size_t next_recent_sql = 0;
    std::uint32_t opened_in;                  // the fork_generation when the connection was opened
    std::shared_ptr<lockstep::tracer> tracer; // nullptr: nobody listens (one branch per statement)
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
        if (state == nullptr) [[unlikely]]
            throw_moved_from();
        const auto me = this_thread_token();
        if (state->owner.load(std::memory_order_relaxed) == me)
            return; // an outer call of this thread holds the mark
        std::uintptr_t nobody = 0;
        if (!state->owner.compare_exchange_strong(nobody, me, std::memory_order_acquire))
            [[unlikely]]
            throw_used_by_two_threads();
        owner_ = &state->owner;
        if (state->opened_in != fork_generation.load(std::memory_order_relaxed)) [[unlikely]] {
            owner_->store(0, std::memory_order_release);
            owner_ = nullptr;
            throw_used_after_fork();
        }
    }
    ~owner_guard() {
        if (owner_ != nullptr)
            owner_->store(0, std::memory_order_release);
    }
    owner_guard(const owner_guard&) = delete;
    owner_guard& operator=(const owner_guard&) = delete;

private:
    std::atomic<std::uintptr_t>* owner_ = nullptr;
};

} // namespace detail

/// One database connection. Use it from one thread at a time (semantics 8.2).
///
/// Values are always bound as parameters (`?` on every engine); identifiers that Lockstep
/// generates are quoted. Every statement obeys the atomic-block rules: inside a block that is
/// marked for rollback, statements raise `usage_error` without reaching the engine.
///
/// Example:
///
///     auto db = lockstep::connection::open("sqlite::memory:");
///     db.create_tables(authors, profiles);
///     lockstep::atomic(db, [&] { db.insert(authors, Author{.name = "Ada"}); });
class LOCKSTEP_API connection {
public:
    /// Opens a connection to `url` (see connection_url.hpp) with a registered driver. Throws
    /// `configuration_error` for a bad URL or an engine that is not built in, and
    /// `connection_error` if the database cannot be reached.
    static connection open(std::string_view url);

    /// Wraps an open session (for backend tests and the fake session).
    explicit connection(std::unique_ptr<spi::session> session,
                        isolation_level url_isolation = isolation_level::engine_default);
    connection(connection&&) noexcept;
    connection& operator=(connection&&) noexcept;
    ~connection();

    /// Runs a statement that returns no rows; returns the number of rows it changed.
    /// Transaction control (BEGIN, COMMIT, SAVEPOINT ...) is refused: use `lockstep::atomic`.
    ///
    /// Example:
    ///
    ///     db.execute("UPDATE author SET name = ? WHERE id = ?", "Ada", 1);
    template <class... Args> std::int64_t execute(std::string_view sql, const Args&... args) {
        const std::array<param, sizeof...(Args)> params{to_param(args)...};
        return execute_params(sql, params);
    }
    /// Runs a query and returns its rows.
    template <class... Args> std::vector<row> query(std::string_view sql, const Args&... args) {
        const std::array<param, sizeof...(Args)> params{to_param(args)...};
        return query_params(sql, params);
    }
    std::int64_t execute_params(std::string_view sql, std::span<const param> params);
    std::vector<row> query_params(std::string_view sql, std::span<const param> params);

    /// Inserts `instance` (the engine gives it a key when its key is 0) and returns it with its
    /// key. Sends `pre_save` and `post_save` with `created = true` in one atomic unit
    /// (semantics 3.2).
    template <class Model> Model insert(const table<Model>& t, Model instance);
    /// Inserts `instance` like `insert` (the same signals in the same unit) but returns nothing,
    /// so the key the engine generates is read back only when a `pre_save` or `post_save`
    /// receiver will see the row. PostgreSQL and MariaDB send that key as a result row
    /// (`RETURNING`); `add` spares them and the client that work. For rows nobody refers to by
    /// key afterwards: log lines, audit rows, children written by a receiver.
    ///
    /// Example (a receiver recording every new author):
    ///
    ///     db.add(audit, Audit{.message = "new author " + std::to_string(e.instance.id)});
    template <class Model> void add(const table<Model>& t, const Model& instance);
    /// Inserts `instance` if its key is 0 or no row has its key, else updates that row; sets the
    /// key and returns whether a row was created. Sends `pre_save` and `post_save`.
    template <class Model> bool save(const table<Model>& t, Model& instance);
    /// Updates the row with `instance`'s key; returns false if there is none. Sends `pre_save`
    /// with `created = false`, and `post_save` only when a row was updated.
    template <class Model> bool update(const table<Model>& t, const Model& instance);
    /// Deletes the row with `instance`'s key (rows that point at it follow their `on_delete`);
    /// returns false if there was none. Sends `pre_delete`, and `post_delete` for that row only
    /// when it was deleted (semantics 3.3).
    template <class Model> bool remove(const table<Model>& t, const Model& instance);
    /// Inserts every instance in one statement each, sending no signals (like Django's
    /// bulk_create); the keys the engine generates are not read back. Faster for loading data
    /// that no receiver watches.
    template <class Model>
    void bulk_insert(const table<Model>& t, std::span<const Model> instances);

    /// The row with primary key `key`, if any.
    template <class Model> std::optional<Model> get(const table<Model>& t, std::int64_t key);
    /// Rows matching every condition (`lockstep::eq`), in key order.
    template <class Model, class... Conditions>
    std::vector<Model> find(const table<Model>& t, const Conditions&... conditions);
    /// Every row, in key order.
    template <class Model> std::vector<Model> all(const table<Model>& t) { return find(t); }
    /// The number of rows matching every condition.
    template <class Model, class... Conditions>
    std::int64_t count(const table<Model>& t, const Conditions&... conditions);
    /// Does any row match every condition?
    template <class Model, class... Conditions>
    bool exists(const table<Model>& t, const Conditions&... conditions) {
        return count(t, conditions...) > 0;
    }

    /// Creates the tables, parents before children. Inside an atomic block this is refused on
    /// engines whose DDL cannot roll back (semantics 5.1); outside one, on engines whose DDL can,
    /// all tables are created in one transaction.
    template <class... Tables> void create_tables(const Tables&... tables) {
        create_tables_impl({static_cast<const table_base*>(&tables)...});
    }
    /// Drops the tables that exist, in reverse order (children first).
    template <class... Tables> void drop_tables(const Tables&... tables) {
        drop_tables_impl({static_cast<const table_base*>(&tables)...});
    }

    /// What this engine can do (semantics 5.8).
    const lockstep::features& features() const;
    /// The engine family: "sqlite", "postgresql", "mysql".
    std::string_view engine_name() const;
    /// The target as `conform` names it: the URL scheme ("sqlite", "soci+mysql").
    std::string_view target_name() const;
    /// The engine's version string.
    std::string server_version();
    /// The isolation level transactions get by default on this connection ("read committed").
    std::string default_isolation();
    /// The server's id for this connection's session (PostgreSQL backend pid, MySQL connection
    /// id). Throws `not_supported` unless `features().can_terminate_sessions`.
    std::string server_session_id();
    /// Ends the server session `id` (another connection's), as an administrator would; that
    /// connection's next statement raises `connection_error`.
    void terminate_server_session(const std::string& id);
    /// Is an atomic block open on this connection? False for a moved-from connection.
    bool in_atomic_block() const noexcept { return state_ && state_->transactions.in_block(); }
    /// False once the connection was lost (discard it and open a new one), and for a moved-from
    /// connection.
    bool is_usable() const noexcept { return state_ && !state_->transactions.is_broken(); }
    /// A cheap test that the engine is still there (no round trip where the engine allows):
    /// false when the server closed the connection, after a restart say. Pools call it before
    /// handing out a connection that has been idle.
    bool is_alive() noexcept;

    /// Reports every statement and block event of this connection to `t` (nullptr: stops).
    /// Bound values reach the tracer only through `options.parameters`. With no tracer, each
    /// statement costs one predictable branch.
    ///
    /// Example:
    ///
    ///     db.set_tracer(std::make_shared<lockstep::stream_tracer>(std::clog));
    void set_tracer(std::shared_ptr<lockstep::tracer> t, tracer_options options = {});

    /// Internals for lockstep's own templates (atomic, hooks, savepoints). Not for applications.
    /// Throws `usage_error` for a moved-from connection or while another thread is inside a
    /// call or block on it.
    detail::transaction_manager& transactions() {
        const auto& s = state();
        const auto owner = s.owner.load(std::memory_order_relaxed);
        if (owner != 0 && owner != detail::this_thread_token()) [[unlikely]]
            detail::throw_used_by_two_threads();
        return state_->transactions;
    }
    /// Internals: marks this thread as the connection's user until the guard is destroyed
    /// (see detail::owner_guard); `lockstep::atomic` holds one for the whole block.
    [[nodiscard]] detail::owner_guard enter() { return detail::owner_guard(state_.get()); }
    /// The backend session, for Lockstep's internals and backend tests.
    spi::session& session() { return *state().session; }

private:
    /// The state, or `usage_error` for a moved-from connection.
    detail::connection_state& state() const {
        if (!state_) [[unlikely]]
            detail::throw_moved_from();
        return *state_;
    }
    /// Runs a call to the engine that is no statement of the user's (version, session id).
    template <class F> auto run(F&& statement) -> decltype(statement());
    /// Runs statement `sql` through `statement`, applying the block rules and, when a tracer is
    /// installed, timing it. `inserted` says the result is a key, not a row count.
    template <class F>
    auto run(std::string_view sql, std::span<const param> params, F&& statement,
             bool inserted = false) -> decltype(statement());
    template <class F>
    auto run_traced(std::string_view sql, std::span<const param> params, F& statement,
                    bool inserted) -> decltype(statement());
    template <class Model> void insert_row(const table<Model>& t, Model& instance);
    /// Gathers `instance`'s values (checking its text first with `check`) and runs the table's
    /// INSERT; returns what `insert_statement` returns.
    template <class Model>
    std::int64_t gather_and_insert(const table<Model>& t, const Model& instance, bool check,
                                   bool read_key);
    template <class Model>
    void insert_gathered(const table<Model>& t, Model& instance, std::span<const param> params,
                         bool given_key);
    template <class Model> std::int64_t update_row(const table<Model>& t, const Model& instance);
    template <class Model> Model to_model(const table<Model>& t, const row& r) const;
    template <class Model, class T>
    void add_condition(const table<Model>& t, const equals<Model, T>& condition, std::string& where,
                       std::vector<param>& params);

    const detail::table_sql& sql_for(const table_base& t);
    const detail::table_sql& sql_for_uncached(const table_base& t);
    /// Runs the table's INSERT; returns the row's key: the given one, the one the engine
    /// generated, or 0 when the engine generated it and `read_key` is false.
    std::int64_t insert_statement(const table_base& t, std::span<const param> params,
                                  bool given_key, bool read_key = true);
    std::int64_t update_statement(const table_base& t, std::span<const param> params);
    std::int64_t delete_statement(const table_base& t, std::int64_t key);
    std::vector<row> select_statement(const table_base& t, const std::string& where,
                                      std::span<const param> params);
    std::int64_t count_statement(const table_base& t, const std::string& where,
                                 std::span<const param> params);
    void check_params(std::span<const param> params) const;
    void create_tables_impl(std::initializer_list<const table_base*> tables);
    void drop_tables_impl(std::initializer_list<const table_base*> tables);

    std::unique_ptr<detail::connection_state> state_;
};

// ---- the model layer's templates ----

template <class F> auto connection::run(F&& statement) -> decltype(statement()) {
    auto& tm = state_->transactions;
    tm.check_statement_allowed();
    try {
        return statement();
    } catch (const error& e) {
        tm.statement_failed(e);
        throw;
    }
}

template <class F>
auto connection::run(std::string_view sql, std::span<const param> params, F&& statement,
                     bool inserted) -> decltype(statement()) {
    auto& tm = state_->transactions;
    tm.check_statement_allowed();
    if (state_->tracer) [[unlikely]]
        return run_traced(sql, params, statement, inserted);
    try {
        return statement();
    } catch (const error& e) {
        tm.statement_failed(e);
        throw;
    }
}

template <class F>
auto connection::run_traced(std::string_view sql, std::span<const param> params, F& statement,
                            bool inserted) -> decltype(statement()) {
    auto& tm = state_->transactions;
    std::vector<std::string> shown;
    statement_trace trace{sql, {}, -1, nullptr, nullptr};
    if (state_->trace_options.parameters) {
        for (std::size_t i = 0; i < params.size(); ++i)
            shown.push_back(state_->trace_options.parameters(i, params[i]));
        trace.parameters = &shown;
    }
    const auto report = [&] {
        try {
            state_->tracer->statement(trace);
        } catch (...) {
            // A tracer's failure must not change what the statement did.
        }
    };
    const auto started = std::chrono::steady_clock::now();
    try {
        auto result = statement();
        trace.duration = std::chrono::steady_clock::now() - started;
        using result_type = std::decay_t<decltype(result)>;
        if constexpr (std::is_same_v<result_type, std::vector<row>>)
            trace.rows = static_cast<std::int64_t>(result.size());
        else if constexpr (std::is_integral_v<result_type>)
            trace.rows = inserted ? 1 : static_cast<std::int64_t>(result);
        report();
        return result;
    } catch (const error& e) {
        trace.duration = std::chrono::steady_clock::now() - started;
        trace.failure = &e;
        report();
        tm.statement_failed(e);
        throw;
    }
}

template <class Model> void connection::insert_row(const table<Model>& t, Model& instance) {
    t.set_key(instance, gather_and_insert(t, instance, false, true)); // a given key comes back
}

// Inlined into each caller so that its constant flags fold away: add's path stays as short as
// when it had its own copy of these lines.
template <class Model>
[[gnu::always_inline]] inline std::int64_t
connection::gather_and_insert(const table<Model>& t, const Model& instance, bool check,
                              bool read_key) {
    const bool given_key = t.key_of(instance) != 0;
    detail::param_buffer params(t.columns().size());
    const auto used = t.insert_values(instance, params.data(), given_key, check);
    return insert_statement(t, params.view(used), given_key, read_key);
}

template <class Model>
void connection::insert_gathered(const table<Model>& t, Model& instance,
                                 std::span<const param> params, bool given_key) {
    t.set_key(instance, insert_statement(t, params, given_key)); // a given key comes back
}

template <class Model>
std::int64_t connection::update_row(const table<Model>& t, const Model& instance) {
    const auto n = t.columns().size();
    detail::param_buffer params(n);
    std::size_t used = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (i != t.key_index())
            params.set(used++, t.get(instance, i));
    params.set(used++, t.get(instance, t.key_index()));
    return update_statement(t, params.view(used));
}

template <class Model> Model connection::insert(const table<Model>& t, Model instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (!pre_save.has_receivers(&t)) {
        // Nobody can change the row before it is written: gather and check its values once,
        // before anything reaches the engine (semantics 2.1).
        const bool given_key = t.key_of(instance) != 0;
        detail::param_buffer params(t.columns().size());
        const auto values = params.view(t.insert_values(instance, params.data(), given_key, true));
        if (!post_save.has_receivers(&t)) {
            insert_gathered(t, instance, values, given_key); // one statement is atomic by itself
            return instance;
        }
        auto unit = [&] {
            insert_gathered(t, instance, values, given_key);
            post_save.send(saved<Model>{{*this, t, true}, instance}, &t);
        };
        // Outside a block this opens the unit's own transaction; inside one it joins the
        // caller's without a savepoint, so a receiver's exception marks the caller's block
        // (semantics 3.2).
        detail::run_block(state_->transactions, {.savepoint = false}, unit);
        return instance;
    }
    t.check_text_values(
        instance); // bad data fails before anything reaches the engine (semantics 2.1)
    auto unit = [&] {
        pre_save.send(saving<Model>{{*this, t, true}, instance}, &t);
        t.check_text_values(instance); // a receiver may have changed it
        insert_row(t, instance);
        post_save.send(saved<Model>{{*this, t, true}, instance}, &t);
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return instance;
}

template <class Model> void connection::add(const table<Model>& t, const Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (pre_save.has_receivers(&t) || post_save.has_receivers(&t)) {
        insert(t, instance); // the receivers see the row as insert gives it, key and all
        return;
    }
    // Nobody sees the row: check its values, then one statement, atomic by itself (semantics 2.1).
    gather_and_insert(t, instance, true, false);
}

template <class Model> bool connection::save(const table<Model>& t, Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    t.check_text_values(instance);
    bool created = t.key_of(instance) == 0;
    auto unit = [&] {
        pre_save.send(saving<Model>{{*this, t, created}, instance}, &t);
        t.check_text_values(instance);
        if (created || update_row(t, instance) == 0) {
            created = true;
            insert_row(t, instance);
        }
        post_save.send(saved<Model>{{*this, t, created}, instance}, &t);
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return created;
}

template <class Model> bool connection::update(const table<Model>& t, const Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (t.key_of(instance) == 0)
        throw usage_error("update() needs a row with a key; this " + t.name() +
                          " row has key 0. Use insert() or save() for new rows.");
    t.check_text_values(instance);
    Model copy = instance; // pre_save receivers may change what is written
    bool updated = false;
    auto unit = [&] {
        pre_save.send(saving<Model>{{*this, t, false}, copy}, &t);
        t.check_text_values(copy);
        updated = update_row(t, copy) > 0;
        if (updated)
            post_save.send(saved<Model>{{*this, t, false}, copy}, &t);
    };
    if (!pre_save.has_receivers(&t) && !post_save.has_receivers(&t))
        return update_row(t, copy) > 0;
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return updated;
}

template <class Model> bool connection::remove(const table<Model>& t, const Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    const auto key = t.key_of(instance);
    if (key == 0)
        throw usage_error("remove() needs a row with a key; this " + t.name() +
                          " row has key 0, so it was never saved.");
    if (!pre_delete.has_receivers(&t) && !post_delete.has_receivers(&t))
        return delete_statement(t, key) > 0; // cascades happen inside this one statement
    bool deleted_row = false;
    auto unit = [&] {
        pre_delete.send(deleting<Model>{{*this, t}, instance}, &t);
        deleted_row = delete_statement(t, key) > 0;
        if (deleted_row)
            post_delete.send(deleted<Model>{{*this, t}, instance}, &t);
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return deleted_row;
}

template <class Model>
void connection::bulk_insert(const table<Model>& t, std::span<const Model> instances) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    for (const auto& instance : instances)
        t.check_text_values(instance);
    auto unit = [&] {
        for (const auto& instance : instances)
            gather_and_insert(t, instance, false, false); // checked above
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
}

template <class Model> Model connection::to_model(const table<Model>& t, const row& r) const {
    Model m{};
    for (std::size_t i = 0; i < r.size(); ++i)
        t.set(m, i, r[i]);
    return m;
}

template <class Model, class T>
void connection::add_condition(const table<Model>& t, const equals<Model, T>& condition,
                               std::string& where, std::vector<param>& params) {
    const auto index = t.index_of(condition.member);
    const auto& quoted = sql_for(t).quoted_columns[index];
    where += where.empty() ? " WHERE " : " AND ";
    const auto p = detail::member_traits<T>::get(condition.value);
    if (std::holds_alternative<std::nullptr_t>(p)) {
        where += quoted + " IS NULL";
        return;
    }
    where += quoted + " = ?";
    params.push_back(p);
}

template <class Model>
std::optional<Model> connection::get(const table<Model>& t, std::int64_t key) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    const std::array<param, 1> params{key};
    const auto rows = select_statement(t, " WHERE " + sql_for(t).key_column + " = ?", params);
    if (rows.empty())
        return std::nullopt;
    return to_model(t, rows.front());
}

template <class Model, class... Conditions>
std::vector<Model> connection::find(const table<Model>& t, const Conditions&... conditions) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    std::string where;
    std::vector<param> params;
    (add_condition(t, conditions, where, params), ...);
    std::vector<Model> out;
    for (const auto& r : select_statement(t, where, params))
        out.push_back(to_model(t, r));
    return out;
}

template <class Model, class... Conditions>
std::int64_t connection::count(const table<Model>& t, const Conditions&... conditions) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    std::string where;
    std::vector<param> params;
    (add_condition(t, conditions, where, params), ...);
    return count_statement(t, where, params);
}

} // namespace lockstep
