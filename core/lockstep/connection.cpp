// The connection's non-template parts: opening by URL, raw SQL with its guards, SQL generation
// for tables, and DDL.
// SPDX-License-Identifier: MIT
#include "lockstep/connection.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/detail/sql_scan.hpp"
#include "lockstep/log.hpp"
#include "lockstep/spi/driver.hpp"
#include "lockstep/spi/plugin.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <pthread.h>

namespace lockstep {

namespace detail {

std::atomic<std::uint32_t> fork_generation{0};

namespace {
// Registered once per process, before any connection exists.
const int fork_handler_registered = pthread_atfork(
    nullptr, nullptr, [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
} // namespace

void throw_moved_from() {
    (void)fork_handler_registered;
    throw usage_error("This connection was moved from (or its pooled handle was); it holds no "
                      "session. Use the object it was moved to.");
}

void throw_used_by_two_threads() {
    throw usage_error("Another thread is inside a call or an atomic block on this connection. A "
                      "connection is used by one thread at a time (semantics 8.4): give each "
                      "thread its own, for example from a lockstep::connection_pool.");
}

void throw_used_after_fork() {
    throw usage_error("This connection was opened before the process forked; using it in the "
                      "child would corrupt the parent's session (semantics 8.4). Open new "
                      "connections in the child.");
}

std::atomic<std::uintptr_t>* owner_guard::acquire(connection_state* state) {
    if (state == nullptr) [[unlikely]]
        throw_moved_from();
    // The inline test found the mark not this thread's: only one mark may be taken here.
    const auto me = this_thread_token();
    std::uintptr_t nobody = 0;
    if (!state->owner.compare_exchange_strong(nobody, me, std::memory_order_acquire)) [[unlikely]]
        throw_used_by_two_threads();
    if (state->opened_in != fork_generation.load(std::memory_order_relaxed)) [[unlikely]] {
        state->owner.store(0, std::memory_order_release);
        throw_used_after_fork();
    }
    return &state->owner;
}

} // namespace detail

connection connection::open(std::string_view url_text) {
    const auto url = parse_connection_url(url_text);
    const auto family = url.is_soci() ? std::string("soci") : url.engine();
    auto driver = spi::find_driver(family);
    if (!driver)
        driver = spi::load_plugin(family); // semantics 8.8: a plugin serves what is not linked in
    if (!driver) {
        const auto joined = [](const std::vector<std::string>& names) {
            std::string text;
            for (const auto& name : names)
                text += (text.empty() ? "" : ", ") + name;
            return text.empty() ? std::string("none") : text;
        };
        const auto dirs = spi::plugin_directories();
        throw configuration_error(
            "Connection URL \"" + url.redacted() + "\" needs the " + family +
            " driver, which this program neither links in (linked in: " +
            joined(spi::registered_drivers()) + ") nor finds as a plugin (plugins found: " +
            joined(spi::available_plugins()) + "; searched " +
            (dirs.empty() ? std::string("no directory: set LOCKSTEP_PLUGIN_PATH") : joined(dirs)) +
            "). Link lockstep::" + family + " and call lockstep::register_builtin_drivers(), or " +
            "install the " + family + " plugin (" + spi::plugin_file_name(family) + ").");
    }
    auto level = isolation_level::engine_default;
    if (const auto option = url.option("isolation"))
        level = parse_isolation_level(*option);
    // slow_statement_ms is the core's own option (semantics 8.9): checked here, hidden from the
    // driver, whose options are its engine's.
    std::optional<std::chrono::milliseconds> slow;
    auto driver_url = url;
    if (const auto option = url.option("slow_statement_ms")) {
        std::int64_t ms = -1;
        const auto [end, ec] = std::from_chars(option->data(), option->data() + option->size(), ms);
        if (ec != std::errc{} || end != option->data() + option->size() || ms < 0)
            throw configuration_error("URL option slow_statement_ms=\"" + *option +
                                      "\" is not a whole number of milliseconds (0 or more); "
                                      "write for example slow_statement_ms=200.");
        slow = std::chrono::milliseconds(ms);
        std::erase_if(driver_url.options,
                      [](const auto& kv) { return kv.first == "slow_statement_ms"; });
    }
    connection db(driver->open(driver_url), level);
    if (slow)
        db.set_tracer(std::make_shared<slow_statement_tracer>(*slow, [](const statement_trace& s) {
            log(log_level::warning,
                "slow statement (" +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(s.duration).count()) +
                    " ms, threshold from the URL's slow_statement_ms): " + std::string(s.sql));
        }));
    return db;
}

connection::connection(std::unique_ptr<spi::session> session, isolation_level url_isolation)
    : state_(std::make_unique<detail::connection_state>(std::move(session), url_isolation)) {}
connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&&) noexcept = default;
connection::~connection() = default;

const features& connection::features() const {
    return state().session->features();
}
std::string_view connection::engine_name() const {
    return state().session->engine();
}
std::string connection::quote_identifier(std::string_view name) const {
    return state().session->quote_identifier(name);
}
std::string_view connection::target_name() const {
    return state().session->target();
}
std::string connection::server_version() {
    const detail::owner_guard guard(state_.get());
    return run([&] { return state_->session->server_version(); });
}

std::string connection::default_isolation() {
    const detail::owner_guard guard(state_.get());
    return run([&] { return state_->session->default_isolation(); });
}

std::string connection::server_session_id() {
    const detail::owner_guard guard(state_.get());
    return run([&] { return state_->session->server_session_id(); });
}

bool connection::can_wait_for_notifications() const {
    return state_ && state_->session->can_wait_for_notifications();
}

bool connection::wait_for_notification(std::chrono::milliseconds timeout) {
    const detail::owner_guard guard(state_.get());
    if (in_atomic_block())
        throw usage_error("wait_for_notification() inside an atomic block would hold its "
                          "transaction open while waiting, and notifications arrive only after "
                          "other transactions commit; wait outside any block.");
    if (!state_->session->can_wait_for_notifications())
        throw not_supported("The " + std::string(target_name()) +
                            " adapter cannot wait for notifications; check "
                            "can_wait_for_notifications() and poll instead.");
    return run([&] { return state_->session->wait_for_notification(timeout); });
}

void connection::set_tracer(std::shared_ptr<lockstep::tracer> t, tracer_options options) {
    const detail::owner_guard guard(state_.get());
    state_->tracer = std::move(t);
    state_->trace_options = std::move(options);
    state_->transactions.set_tracer(state_->tracer.get());
}

bool connection::is_alive() noexcept {
    if (!is_usable())
        return false;
    try {
        const detail::owner_guard guard(state_.get());
        return state_->session->is_alive();
    } catch (...) {
        return false;
    }
}

void connection::terminate_server_session(const std::string& id) {
    const detail::owner_guard guard(state_.get());
    run([&] {
        state_->session->terminate_server_session(id);
        return 0;
    });
}

void connection::check_params(std::span<const param> params) const {
    for (const auto& p : params) {
        if (const auto* text = std::get_if<std::string_view>(&p))
            check_text(*text, std::nullopt);
        else if (const auto* real = std::get_if<double>(&p))
            check_real(*real);
    }
}

namespace {

void guard_raw_statement(std::string_view sql, const features& f, bool in_block) {
    // Engines disagree on a second statement in one text (SQLite's prepare ignores it, servers
    // refuse or run it), so every engine refuses it before anything is sent (semantics 6.6).
    if (detail::has_several_statements(sql)) [[unlikely]]
        throw usage_error("The SQL text holds more than one statement; execute() and query() run "
                          "exactly one. Split it into separate calls, inside lockstep::atomic if "
                          "they belong together.");
    switch (detail::classify_statement(sql)) {
    case detail::statement_class::transaction_control:
        throw usage_error("Transaction control statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, "
                          "SET autocommit ...) are not allowed through execute() or query(): "
                          "use lockstep::atomic, which keeps savepoints, hooks and signals in "
                          "step with the transaction.");
    case detail::statement_class::ddl:
        if (in_block && !f.can_rollback_ddl)
            throw usage_error(
                "DDL inside an atomic block is refused on this engine: it would "
                "commit the transaction implicitly (semantics 5.1). Run the DDL outside "
                "any atomic block.");
        return;
    case detail::statement_class::locking_query:
        if (!in_block)
            throw usage_error("A locking read (SELECT ... FOR UPDATE / FOR SHARE) outside an "
                              "atomic block would release its locks at once; run it inside "
                              "lockstep::atomic.");
        return;
    default:
        return;
    }
}

} // namespace

std::int64_t connection::execute_params(std::string_view sql, std::span<const param> params) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    guard_raw_statement(sql, features(), in_atomic_block());
    check_params(params);
    return run(sql, params, [&] { return state_->session->execute(sql, params); });
}

std::vector<row> connection::query_params(std::string_view sql, std::span<const param> params) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    guard_raw_statement(sql, features(), in_atomic_block());
    check_params(params);
    return run(sql, params, [&] { return state_->session->query(sql, params); });
}

namespace {

// sql_for's body, inlined into the INSERT's hot path as well.
[[gnu::always_inline]] inline const detail::table_sql*
recent_sql_for(detail::connection_state& state, const table_base& t) {
    for (const auto& r : state.recent_sql)
        if (r.serial == t.serial())
            return r.sql;
    return nullptr;
}

} // namespace

const detail::table_sql& connection::sql_for(const table_base& t) {
    if (const auto* recent = recent_sql_for(*state_, t))
        return *recent;
    return remember_sql(t);
}

const detail::table_sql& connection::remember_sql(const table_base& t) {
    auto& state = *state_;
    const auto& sql = sql_for_uncached(t);
    state.recent_sql[state.next_recent_sql++ % state.recent_sql.size()] = {t.serial(), &sql};
    return sql;
}

const detail::table_sql& connection::sql_for_uncached(const table_base& t) {
    auto& cache = state_->sql_cache;
    if (const auto it = cache.find(t.serial()); it != cache.end())
        return it->second;
    auto& session = *state_->session;
    detail::table_sql sql;
    const auto table_name = session.quote_identifier(t.name());
    std::string all_columns, all_marks, data_columns, data_marks, assignments;
    for (std::size_t i = 0; i < t.columns().size(); ++i) {
        auto quoted = session.quote_identifier(t.columns()[i].name);
        const auto sep = all_columns.empty() ? "" : ", ";
        all_columns += sep + quoted;
        all_marks += std::string(sep) + "?";
        if (i == t.key_index()) {
            sql.key_column = quoted;
        } else {
            const auto data_sep = data_columns.empty() ? "" : ", ";
            data_columns += data_sep + quoted;
            data_marks += std::string(data_sep) + "?";
            assignments += data_sep + quoted + " = ?";
        }
        sql.quoted_columns.push_back(std::move(quoted));
    }
    sql.insert_given_key =
        "INSERT INTO " + table_name + " (" + all_columns + ") VALUES (" + all_marks + ")";
    sql.insert_generated_key =
        data_columns.empty()
            ? "INSERT INTO " + table_name + " DEFAULT VALUES"
            : "INSERT INTO " + table_name + " (" + data_columns + ") VALUES (" + data_marks + ")";
    sql.update_by_key = assignments.empty() ? std::string()
                                            : "UPDATE " + table_name + " SET " + assignments +
                                                  " WHERE " + sql.key_column + " = ?";
    sql.delete_by_key = "DELETE FROM " + table_name + " WHERE " + sql.key_column + " = ?";
    sql.select_columns = "SELECT " + all_columns + " FROM " + table_name;
    sql.copy_given_key = table_name + " (" + all_columns + ")";
    if (!data_columns.empty())
        sql.copy_generated_key = table_name + " (" + data_columns + ")";
    const auto& kept = cache.emplace(t.serial(), std::move(sql)).first->second;
    // The cache never shrinks or changes an entry, and the session dies after it: these texts
    // stay put for the session's life.
    for (const auto* text : {&kept.insert_generated_key, &kept.insert_given_key,
                             &kept.update_by_key, &kept.delete_by_key})
        if (!text->empty())
            session.note_stable_sql(*text);
    return kept;
}

namespace {

// What both paths of insert_statement run once the table's plan is there: the INSERT, then the
// row's key (a given key comes back as given; primary_key takes only std::int64_t members).
[[gnu::always_inline]] inline std::int64_t run_insert_plan(spi::insert_plan& plan,
                                                           const table_base& t,
                                                           std::span<const param> params,
                                                           bool given_key) {
    const auto key = plan.insert(params);
    return given_key ? *std::get_if<std::int64_t>(&params[t.key_index()]) : key;
}

} // namespace

std::int64_t connection::insert_statement(const table_base& t, std::span<const param> params,
                                          bool given_key, bool read_key) {
    // The common case (a table written before, no tracer, not pipelining) in a few dozen
    // instructions and one stretch of code: every model write runs it, and each code line it
    // spares is a line of the engine's kept in the instruction cache (docs/performance.md,
    // "The heap top, and two cuts"). It does what insert_general does, in the same order.
    auto& state = *state_;
    if (!state.pipelined && state.tracer == nullptr) [[likely]]
        if (const auto* sql = recent_sql_for(state, t)) [[likely]]
            if (auto* plan =
                    sql->insert_plans[detail::insert_plan_index(given_key, read_key)].get())
                [[likely]]
                return run([&] { return run_insert_plan(*plan, t, params, given_key); });
    return insert_general(t, params, given_key, read_key);
}

std::int64_t connection::insert_general(const table_base& t, std::span<const param> params,
                                        bool given_key, bool read_key) {
    if (state_->pipelined && state_->transactions.in_block()) [[unlikely]]
        if (const auto key = insert_queued(t, params, given_key, read_key))
            return *key;
    const auto* recent = recent_sql_for(*state_, t);
    const auto& sql = recent != nullptr ? *recent : remember_sql(t);
    const auto& text = given_key ? sql.insert_given_key : sql.insert_generated_key;
    auto& plan = sql.insert_plans[detail::insert_plan_index(given_key, read_key)];
    return run(
        text, params,
        [&] {
            if (!plan) [[unlikely]] // made inside run: preparing may fail like the statement
                plan = make_insert_plan(t, text, given_key, read_key);
            return run_insert_plan(*plan, t, params, given_key);
        },
        true);
}

std::unique_ptr<spi::insert_plan> connection::make_insert_plan(const table_base& t,
                                                               const std::string& text,
                                                               bool given_key, bool read_key) {
    // A given key is known already: only a generated one is worth asking for.
    return state_->session->plan_insert(
        text, given_key || !read_key ? std::string_view{} : std::string_view(t.key().name));
}

std::optional<std::int64_t> connection::insert_queued(const table_base& t,
                                                      std::span<const param> params, bool given_key,
                                                      bool read_key) {
    const auto& sql = sql_for(t);
    auto& session = *state_->session;
    if (given_key || !read_key) { // nothing to wait for: queue it (semantics 10.2)
        const auto& text = given_key ? sql.insert_given_key : sql.insert_generated_key;
        return run(
            text, params,
            [&] {
                session.execute_deferred(text, params);
                return given_key ? std::get<std::int64_t>(params[t.key_index()]) : std::int64_t{0};
            },
            true);
    }
    // The caller reads the key: take it ahead from the table's sequence (semantics 10.3), so the
    // INSERT carries it and needs no answer either.
    std::optional<std::int64_t> key;
    run([&] { key = session.reserve_key(t.name(), t.key().name); });
    if (!key)
        return std::nullopt;
    const auto columns = t.columns().size();
    detail::param_buffer with_key(columns);
    for (std::size_t i = 0, from = 0; i < columns; ++i)
        with_key.set(i, i == t.key_index() ? param(*key) : params[from++]);
    const auto values = with_key.view(columns);
    return run(
        sql.insert_given_key, values,
        [&] {
            session.execute_deferred(sql.insert_given_key, values);
            return *key;
        },
        true);
}

void connection::bulk_statement(const table_base& t, std::span<const param> params,
                                std::size_t rows, bool given_key) {
    const auto& sql = sql_for(t);
    const auto& one_row = given_key ? sql.insert_given_key : sql.insert_generated_key;
    const auto values = one_row.rfind(" VALUES (");
    if (rows == 1 || values == std::string::npos) { // DEFAULT VALUES: one row per statement
        const auto per_row = params.size() / rows;
        for (std::size_t r = 0; r < rows; ++r)
            insert_statement(t, params.subspan(r * per_row, per_row), given_key, false);
        return;
    }
    const auto text_for = [&](std::size_t n) {
        const auto tuple = one_row.substr(values + 8); // "(?, ?)"
        std::string text = one_row;
        text.reserve(one_row.size() + (n - 1) * (tuple.size() + 2));
        for (std::size_t r = 1; r < n; ++r)
            text.append(", ").append(tuple);
        return text;
    };
    // A full statement's text is kept with the table's SQL, so engines that cache prepared
    // statements by text prepare it once; a shorter last statement is built for the call.
    auto& kept = state_->sql_cache.at(t.serial());
    auto& full = given_key ? kept.bulk_given_key : kept.bulk_generated_key;
    const auto per_statement = detail::bulk_rows_per_statement(t.columns().size());
    std::string partial;
    if (rows == per_statement && full.empty())
        full = text_for(rows);
    const std::string& text = rows == per_statement ? full : (partial = text_for(rows));
    run(text, params, [&] { return state_->session->execute(text, params); });
}

void connection::sync() {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (!state_->pipelined)
        return;
    try {
        state_->session->sync();
    } catch (const error& e) {
        state_->transactions.statement_failed(e); // poisons the block, as at the write (10.4)
        throw;
    }
}

bool connection::copy_statement(const table_base& t, bool given_key, std::size_t rows,
                                const spi::session::row_filler& fill) {
    auto& session = *state_->session;
    if (!session.can_copy_rows())
        return false;
    const auto& sql = sql_for(t);
    const auto& target = given_key ? sql.copy_given_key : sql.copy_generated_key;
    if (target.empty()) // only a generated key: nothing to copy, DEFAULT VALUES per row
        return false;
    const auto columns = t.columns().size() - (given_key ? 0 : 1);
    const auto shown = "COPY " + target + " FROM STDIN"; // what a tracer sees
    run(shown, {}, [&] { return session.copy_rows(target, columns, rows, fill); });
    return true;
}

std::int64_t connection::update_statement(const table_base& t, std::span<const param> params) {
    const auto& sql = sql_for(t);
    if (sql.update_by_key.empty()) // only a key: the row exists iff a select finds it
        return count_statement(t, " WHERE " + sql.key_column + " = ?", params.last(1));
    return run(sql.update_by_key, params,
               [&] { return state_->session->execute(sql.update_by_key, params); });
}

std::int64_t connection::delete_statement(const table_base& t, std::int64_t key) {
    const std::array<param, 1> params{key};
    const auto& text = sql_for(t).delete_by_key;
    return run(text, params, [&] { return state_->session->execute(text, params); });
}

std::vector<row> connection::select_statement(const table_base& t, const std::string& where,
                                              std::span<const param> params) {
    check_params(params);
    const auto& sql = sql_for(t);
    const auto text = sql.select_columns + where + " ORDER BY " + sql.key_column;
    return run(text, params, [&] { return state_->session->query(text, params); });
}

std::int64_t connection::count_statement(const table_base& t, const std::string& where,
                                         std::span<const param> params) {
    check_params(params);
    const auto text = "SELECT COUNT(*) FROM " + state_->session->quote_identifier(t.name()) + where;
    const auto rows = run(text, params, [&] { return state_->session->query(text, params); });
    return rows.empty() ? 0 : as_integer(rows.front().front());
}

namespace {

const char* deletion_sql(on_delete d) {
    switch (d) {
    case on_delete::cascade:
        return "CASCADE";
    case on_delete::set_null:
        return "SET NULL";
    case on_delete::restrict:
        break;
    }
    return "RESTRICT";
}

} // namespace

void connection::create_tables_impl(std::initializer_list<const table_base*> tables) {
    const detail::owner_guard guard(state_.get());
    const auto& session = *state_->session;
    if (in_atomic_block() && !features().can_rollback_ddl)
        throw usage_error("create_tables() inside an atomic block is refused on " +
                          std::string(engine_name()) +
                          ": its DDL commits the transaction implicitly (semantics 5.1). Create "
                          "tables outside any atomic block.");
    std::vector<std::string> statements;
    for (const auto* t : tables) {
        std::string sql = "CREATE TABLE " + session.quote_identifier(t->name()) + " (";
        std::string constraints;
        for (std::size_t i = 0; i < t->columns().size(); ++i) {
            const auto& c = t->columns()[i];
            sql += (i ? ", " : "") + session.quote_identifier(c.name) + " ";
            if (c.primary_key) {
                sql += session.auto_key_sql();
                continue;
            }
            sql += session.column_type_sql(c.type, c.max_length);
            if (!c.nullable)
                sql += " NOT NULL";
            if (c.unique)
                sql += " UNIQUE";
            if (c.references) {
                // Table-level FOREIGN KEY: MySQL ignores inline REFERENCES clauses.
                constraints += ", FOREIGN KEY (" + session.quote_identifier(c.name) +
                               ") REFERENCES " + session.quote_identifier(c.references->name()) +
                               " (" + session.quote_identifier(c.references->key().name) +
                               ") ON DELETE " + deletion_sql(c.deletion);
            }
        }
        statements.push_back(sql + constraints + ")" + session.create_table_suffix());
    }
    auto create_all = [&] {
        for (const auto& sql : statements)
            run(sql, {}, [&] { return state_->session->execute(sql, {}); });
    };
    if (!in_atomic_block() && features().can_rollback_ddl)
        detail::run_block(state_->transactions, {}, create_all);
    else
        create_all();
}

void connection::drop_tables_impl(std::initializer_list<const table_base*> tables) {
    const detail::owner_guard guard(state_.get());
    if (in_atomic_block() && !features().can_rollback_ddl)
        throw usage_error("drop_tables() inside an atomic block is refused on " +
                          std::string(engine_name()) +
                          ": its DDL commits the transaction implicitly (semantics 5.1).");
    std::vector<const table_base*> reversed(tables);
    std::reverse(reversed.begin(), reversed.end());
    for (const auto* t : reversed) {
        const auto sql = "DROP TABLE IF EXISTS " + state_->session->quote_identifier(t->name());
        run(sql, {}, [&] { return state_->session->execute(sql, {}); });
    }
}

} // namespace lockstep
