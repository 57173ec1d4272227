// The connection: raw SQL with bound parameters, the typed model layer whose writes send the
// model signals, and the state that atomic blocks and hooks keep per connection.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/detail/connection_state.hpp"
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
    T Model::*member; ///< the member whose column is compared
    T value;          ///< the value it must equal
};

/// Matches rows whose `member` column equals `v` (`std::nullopt` matches NULL).
///
/// Example:
///
///     auto adas = db.find(authors, lockstep::eq(&Author::name, "Ada"));
template <class Model, class T, class V> equals<Model, T> eq(T Model::*member, V&& v) {
    return {member, T(std::forward<V>(v))};
}

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
    /// Moves the session; the moved-from connection raises `usage_error` on every call.
    connection(connection&&) noexcept;
    /// Closes this connection's session and takes `other`'s.
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
    /// `execute` with the parameters already in a span (for a count known only at run time).
    std::int64_t execute_params(std::string_view sql, std::span<const param> params);
    /// `query` with the parameters already in a span.
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
    /// Inserts every instance, sending no signals (like Django's bulk_create), in multi-row
    /// INSERT statements of up to `bulk_rows_per_statement` rows; the keys the engine generates
    /// are not read back. Every text value is checked before anything is sent (semantics 6.2).
    /// All or nothing: inside a block it runs under its own savepoint, so one that fails half-way
    /// leaves none of its rows; outside a block it is one transaction (semantics 3.6).
    ///
    /// Example:
    ///
    ///     std::vector<Author> authors = load_authors();
    ///     db.bulk_insert(authors_table, std::span<const Author>(authors));
    template <class Model>
    void bulk_insert(const table<Model>& t, std::span<const Model> instances);

    /// Waits for the writes this connection queued in pipeline mode (`pipeline=on` on
    /// PostgreSQL, semantics 10) and raises the first one's failure here, as its own class;
    /// does nothing on a connection that does not pipeline. A block's exit, a read and COMMIT
    /// wait anyway: call it after a write whose error you want to catch at that write.
    ///
    ///     try {
    ///         db.insert(codes, code{.value = "taken"});
    ///         db.sync();
    ///     } catch (const lockstep::integrity_error&) { /* the block is poisoned (2.1) */ }
    void sync();

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
    /// Can this connection wait for notifications (native PostgreSQL: LISTEN/NOTIFY)? The SOCI
    /// adapter and the other engines cannot.
    bool can_wait_for_notifications() const;
    /// Waits up to `timeout` for a NOTIFY on a channel this connection LISTENs to (run
    /// `LISTEN` first); true if one or more arrived. Only outside an atomic block; throws
    /// `not_supported` unless `can_wait_for_notifications()`.
    ///
    /// Example:
    ///
    ///     db.execute("LISTEN " + db.quote_identifier("jobs"));
    ///     if (db.wait_for_notification(std::chrono::seconds(1))) { /* look for work */ }
    bool wait_for_notification(std::chrono::milliseconds timeout);
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

    /// Quotes `name` as an identifier for this engine ("name" or `name`), for SQL an
    /// application writes itself. Values are never quoted: bind them as parameters.
    ///
    /// Example:
    ///
    ///     db.execute("UPDATE " + db.quote_identifier("order") + " SET total = ? WHERE id = ?",
    ///                total, id);
    std::string quote_identifier(std::string_view name) const;

private:
    // Lockstep's own templates (atomic, hooks, savepoints, retry, the test helpers) reach these
    // through detail::connection_access; applications cannot.
    friend struct detail::connection_access;
    /// Throws `usage_error` for a moved-from connection or while another thread is inside a
    /// call or block on it.
    detail::transaction_manager& transactions() {
        const auto& s = state();
        const auto owner = s.owner.load(std::memory_order_relaxed);
        if (owner != 0 && owner != detail::this_thread_token()) [[unlikely]]
            detail::throw_used_by_two_threads();
        return state_->transactions;
    }
    /// Marks this thread as the connection's user until the guard is destroyed (see
    /// detail::owner_guard); `lockstep::atomic` holds one for the whole block.
    [[nodiscard]] detail::owner_guard enter() { return detail::owner_guard(state_.get()); }
    spi::session& session() { return *state().session; }

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
    /// sql_for after a miss among the recent tables: the table's SQL, now recent.
    const detail::table_sql& remember_sql(const table_base& t);
    const detail::table_sql& sql_for_uncached(const table_base& t);
    /// Runs the table's INSERT; returns the row's key: the given one, the one the engine
    /// generated, or 0 when the engine generated it and `read_key` is false.
    std::int64_t insert_statement(const table_base& t, std::span<const param> params,
                                  bool given_key, bool read_key = true);
    /// insert_statement for every case: the first row of a table, a tracer, pipelining.
    [[gnu::noinline]] std::int64_t insert_general(const table_base& t,
                                                  std::span<const param> params, bool given_key,
                                                  bool read_key);
    /// The session's plan for `text`, the table's one-row INSERT (insert_statement's first use).
    std::unique_ptr<spi::insert_plan> make_insert_plan(const table_base& t, const std::string& text,
                                                       bool given_key, bool read_key);
    /// Queues the table's INSERT on a pipelining session inside a block (semantics 10.2);
    /// returns what `insert_statement` returns, or nullopt when the key cannot be taken ahead.
    std::optional<std::int64_t> insert_queued(const table_base& t, std::span<const param> params,
                                              bool given_key, bool read_key);
    /// Loads `rows` rows through the engine's bulk path (semantics 3.6); false, having sent
    /// nothing, where it has none.
    bool copy_statement(const table_base& t, bool given_key, std::size_t rows,
                        const spi::session::row_filler& fill);
    /// Runs one INSERT of `rows` rows whose values are `params`, row after row.
    void bulk_statement(const table_base& t, std::span<const param> params, std::size_t rows,
                        bool given_key);
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

} // namespace lockstep

#include "lockstep/detail/connection_templates.hpp" // the model layer's inline templates
