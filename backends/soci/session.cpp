// spi::session over SOCI 4.0. SOCI has begin/commit/rollback only: savepoints are SQL in each
// dialect, "still in a transaction?" comes from the native handle (SQLite, PostgreSQL) or the
// server (MySQL), errors go through each engine's own table, and SOCI's statements are
// prepared once per text and parameter types and reused.
// SPDX-License-Identifier: MIT
#include "soci/session.hpp"

#include "lockstep/detail/sql_scan.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/spi/parameter_signature.hpp"
#include "lockstep/spi/quote.hpp"
#include "lockstep/spi/returning_sql.hpp"
#include "mysql/rules.hpp"
#include "postgresql/liveness.hpp"
#include "postgresql/notices.hpp"
#include "soci/errors.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace lockstep::soci {
namespace {

constexpr std::size_t max_cached_statements = 512;

// Values in SOCI connect strings: double quotes for SQLite, single quotes for MySQL and libpq.
std::string quoted(const std::string& value, char quote) {
    std::string out(1, quote);
    for (char c : value) {
        if (c == quote || c == '\\')
            out += '\\';
        out += c;
    }
    return out + quote;
}

int parse_whole_number(std::string_view name, const std::string& text, std::string_view unit) {
    int value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
        throw configuration_error("SOCI URL option " + std::string(name) + "=\"" + text +
                                  "\" is not a whole number of " + std::string(unit) + ".");
    return value;
}

int parse_milliseconds(const std::string& text) {
    return parse_whole_number("lock_timeout", text, "milliseconds");
}

// SOCI's shared libraries do not export the typeinfo of their session backends, which UBSan's
// vptr check needs for these downcasts; the backend's type is known from the factory used.
[[gnu::no_sanitize("vptr")]] PGconn* native_postgresql(::soci::session& s) {
    return static_cast<::soci::postgresql_session_backend*>(s.get_backend())->conn_;
}

[[gnu::no_sanitize("vptr")]] ::sqlite_api::sqlite3* native_sqlite(::soci::session& s) {
    return static_cast<::soci::sqlite3_session_backend*>(s.get_backend())->conn_;
}

[[gnu::no_sanitize("vptr")]] MYSQL* native_mysql(::soci::session& s) {
    return static_cast<::soci::mysql_session_backend*>(s.get_backend())->conn_;
}

} // namespace

session::session(const connection_url& url) {
    target_ = url.scheme;
    const auto backend = url.scheme.substr(5); // after "soci+"
    engine_ = url.engine();
    family_ = engine_ == "sqlite"       ? family::sqlite
              : engine_ == "postgresql" ? family::postgresql
              : engine_ == "mysql"      ? family::mysql
                                        : family::other;
    for (const auto& [key, value] : url.options)
        if (key != "isolation" && key != "lock_timeout" && key != "connect_timeout" &&
            key != "connect")
            throw configuration_error("SOCI URL option \"" + key +
                                      "\" is unknown; soci+ URLs take isolation, lock_timeout, "
                                      "connect_timeout and (for other SOCI backends) connect.");
    const auto lock_timeout = url.option("lock_timeout");
    const int timeout_ms = lock_timeout ? parse_milliseconds(*lock_timeout) : 5000;
    // Parsed as a number and printed again: nothing of the option's text reaches the connect
    // string, so "5 dbname=other" cannot add a keyword to it.
    const int connect_timeout = parse_whole_number(
        "connect_timeout", url.option("connect_timeout").value_or("10"), "seconds");

    std::string connect;
    const ::soci::backend_factory* factory = nullptr;
    switch (family_) {
    case family::sqlite:
        // SOCI's timeout is whole seconds of SQLite's busy timeout.
        connect = "db=" + quoted(url.database, '"') +
                  " timeout=" + std::to_string(std::max(1, (timeout_ms + 999) / 1000));
        factory = ::soci::factory_sqlite3();
        dialect_ = &spi::sqlite_dialect();
        break;
    case family::postgresql:
        if (!url.host.empty())
            connect += "host=" + quoted(url.host, '\'') + " ";
        if (url.port)
            connect += "port=" + std::to_string(*url.port) + " ";
        if (!url.database.empty())
            connect += "dbname=" + quoted(url.database, '\'') + " ";
        if (!url.user.empty())
            connect += "user=" + quoted(url.user, '\'') + " ";
        if (url.has_password)
            connect += "password=" + quoted(url.password, '\'') + " ";
        connect += "connect_timeout=" + std::to_string(connect_timeout);
        factory = ::soci::factory_postgresql();
        dialect_ = &spi::postgresql_dialect();
        break;
    case family::mysql:
        if (url.host.starts_with("/"))
            connect += "unix_socket=" + quoted(url.host, '\'') + " ";
        else
            connect += "host=" + quoted(url.host.empty() ? "127.0.0.1" : url.host, '\'') +
                       " port=" + std::to_string(url.port.value_or(3306)) + " ";
        if (!url.database.empty())
            connect += "db=" + quoted(url.database, '\'') + " ";
        connect += "user=" + quoted(url.user, '\'') + " ";
        if (url.has_password)
            connect += "password=" + quoted(url.password, '\'') + " ";
        connect += "charset=utf8mb4 connect_timeout=" + std::to_string(connect_timeout);
        factory = ::soci::factory_mysql();
        dialect_ = &spi::mysql_dialect();
        break;
    case family::other:
        connect = url.option("connect").value_or("");
        break;
    }

    try {
        if (factory != nullptr)
            sql_.emplace(*factory, connect);
        else
            sql_.emplace(backend, connect); // SOCI loads libsoci_<backend>.so by name
    } catch (const ::soci::soci_error& e) {
        std::string message = e.get_error_message();
        if (!url.password.empty())
            for (std::size_t pos; (pos = message.find(url.password)) != std::string::npos;)
                message.replace(pos, url.password.size(), "***");
        if (factory == nullptr && message.find("backend") != std::string::npos)
            throw configuration_error("SOCI could not load its \"" + backend +
                                      "\" backend: " + message);
        spi::raise({spi::error_category::connection}, {engine_, "", 0, message, ""});
    }

    switch (family_) {
    case family::sqlite: {
        run_simple("PRAGMA foreign_keys = ON");
        const auto rows = query("SELECT sqlite_version()", {});
        version_ = as_text(rows.at(0).at(0));
        features_ = spi::sqlite_features();
        break;
    }
    case family::postgresql:
        // SOCI leaves libpq's default, which prints every notice on stderr; the native
        // adapter prints none.
        postgresql::silence_notices(native_postgresql(*sql_));
        if (lock_timeout)
            run_simple("SET lock_timeout = " + std::to_string(timeout_ms));
        version_ = as_text(query("SHOW server_version", {}).at(0).at(0));
        features_ = spi::postgresql_features(); // keys come back through RETURNING here too
        break;
    case family::mysql:
        version_ = as_text(query("SELECT VERSION()", {}).at(0).at(0));
        collation_ = mysql::configure_session(
            [this](std::string_view sql, std::span<const param> params) {
                return query(sql, params);
            },
            [this](const std::string& sql) { run_simple(sql); });
        if (lock_timeout)
            run_simple("SET SESSION innodb_lock_wait_timeout = " +
                       std::to_string(std::max(1, (timeout_ms + 999) / 1000)));
        // The server closes the connection on a value over its packet limit: such values are
        // refused before sending, as by the native adapter.
        max_value_bytes_ = static_cast<std::size_t>(query_integer("SELECT @@max_allowed_packet"));
        features_ = spi::mysql_features(); // keys come from LAST_INSERT_ID(): no RETURNING
        break;
    case family::other:
        version_ = backend + " through SOCI";
        break;
    }
    // SOCI 4.0 binds binary data only through its own soci::blob objects (PostgreSQL large
    // objects, not BYTEA), so this adapter refuses binary values before sending them.
    features_.binds_binary_values = false;
}

session::~session() {
    // SOCI's destructors may talk to a dead server; nothing may escape a destructor.
    try {
        savepoints_.clear();
        cache_.clear();
        sql_.reset();
    } catch (...) {
    }
}

template <class Work> auto session::guarded(std::string_view sql, Work&& work) -> decltype(work()) {
    if (lost_) [[unlikely]]
        raise_lost(sql);
    try {
        return work();
    } catch (const ::soci::soci_error& e) {
        raise_translated(e, sql);
    }
}

// Out of line and cold: every statement runs through guarded(), and its error paths would
// otherwise widen each caller's frame.
void session::raise_lost(std::string_view sql) {
    spi::raise({spi::error_category::connection},
               {engine_, "", 0, "the connection was lost earlier", std::string(sql)});
}

void session::raise_translated(const ::soci::soci_error& e, std::string_view sql) {
    try {
        raise_error(e, engine_, sql);
    } catch (const error& translated) {
        if (translated.poisons_connection() || connection_is_bad()) {
            lost_ = true;
            in_transaction_ = false;
            if (!translated.poisons_connection())
                spi::raise({spi::error_category::connection},
                           {engine_, translated.sqlstate(), translated.native_code(),
                            translated.native_message(), std::string(sql)});
        }
        throw;
    }
}

template <class Work>
auto session::run_statement(std::string_view sql, prepared& entry, Work&& work)
    -> decltype(work()) {
    try {
        return guarded(sql, std::forward<Work>(work));
    } catch (...) {
        discard(entry);
        throw;
    }
}

void session::discard(const prepared& entry) noexcept {
    recent_.clear(); // it may point at the entry; it refills from the map
    std::erase_if(cache_, [&](const auto& e) { return e.second.get() == &entry; });
}

bool session::connection_is_bad() {
    if (family_ == family::postgresql) {
        return PQstatus(native_postgresql(*sql_)) == CONNECTION_BAD;
    }
    return false;
}

void session::run_simple(const std::string& sql) {
    guarded(sql, [&] { *sql_ << sql; });
}

std::int64_t session::query_integer(const std::string& sql) {
    const auto rows = query(sql, {});
    return rows.empty() || is_null(rows[0][0]) ? 0 : as_integer(rows[0][0]);
}

// Inlined into its callers: it runs for every statement; a statement not used lately goes to
// prepare_cached.
[[gnu::always_inline]] inline session::prepared&
session::prepare(std::string_view sql, std::span<const param> params, bool returns_rows) {
    // The statement's shape in one word (its parameters' types, and in the top bit whether it
    // returns rows), so a recent statement is found by the address of its text without
    // building and hashing a key.
    const auto types = spi::parameter_signature(params);
    const std::uint64_t shape = types.value_or(0) | (returns_rows ? std::uint64_t{1} << 63 : 0);
    if (const auto* r = types ? recent_.find(sql) : nullptr; r != nullptr && r->shape == shape)
        return bind_values(*r->entry, params);
    return prepare_cached(sql, params, returns_rows, types.has_value(), shape);
}

session::prepared& session::prepare_cached(std::string_view sql, std::span<const param> params,
                                           bool returns_rows, bool has_shape, std::uint64_t shape) {
    cache_key_.assign(sql);
    cache_key_ += returns_rows ? "\x1fR" : "\x1fN";
    for (const auto& p : params)
        cache_key_ += static_cast<char>('0' + p.index());
    auto it = cache_.find(cache_key_);
    if (it == cache_.end()) {
        auto entry = make_prepared(sql, params, returns_rows);
        if (cache_.size() >= max_cached_statements) {
            recent_.clear();
            cache_.clear();
        }
        it = cache_.emplace(cache_key_, std::move(entry)).first;
    }
    if (has_shape)
        recent_.put(sql, {&it->first, shape, it->second.get()});
    return bind_values(*it->second, params);
}

std::unique_ptr<session::prepared>
session::make_prepared(std::string_view sql, std::span<const param> params, bool returns_rows) {
    for (const auto& p : params)
        if (std::holds_alternative<std::span<const std::byte>>(p))
            throw not_supported("The SOCI adapter cannot bind binary values (SOCI 4.0 has no "
                                "portable BLOB binding); check db.features()."
                                "binds_binary_values, or use a native adapter.");
    auto [text, count] = detail::number_placeholders(sql, ":p");
    if (count != static_cast<int>(params.size()))
        throw usage_error("The statement has " + std::to_string(count) + " placeholders but " +
                          std::to_string(params.size()) + " values were given.");
    auto entry = std::make_unique<prepared>();
    entry->returns_rows = returns_rows;
    guarded(sql, [&] {
        entry->statement = std::make_unique<::soci::statement>(*sql_);
        entry->holders = std::make_unique<holder[]>(params.size());
        for (std::size_t i = 0; i < params.size(); ++i) {
            const auto& p = params[i];
            auto& h = entry->holders[i];
            if (std::holds_alternative<std::int64_t>(p) || std::holds_alternative<bool>(p))
                entry->statement->exchange(::soci::use(h.integer, h.indicator));
            else if (std::holds_alternative<double>(p))
                entry->statement->exchange(::soci::use(h.real, h.indicator));
            else
                entry->statement->exchange(::soci::use(h.text, h.indicator));
        }
        if (returns_rows)
            entry->statement->exchange(::soci::into(entry->row));
        entry->statement->alloc();
        entry->statement->prepare(text);
        entry->statement->define_and_bind();
    });
    return entry;
}

[[gnu::always_inline]] inline session::prepared&
session::bind_values(prepared& entry, std::span<const param> params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        auto& h = entry.holders[i];
        const auto& p = params[i];
        h.indicator = ::soci::i_ok;
        if (std::holds_alternative<std::nullptr_t>(p))
            h.indicator = ::soci::i_null;
        else if (const auto* n = std::get_if<std::int64_t>(&p))
            h.integer = *n;
        else if (const auto* b = std::get_if<bool>(&p))
            h.integer = *b ? 1 : 0;
        else if (const auto* d = std::get_if<double>(&p))
            h.real = *d;
        else if (const auto* s = std::get_if<std::string_view>(&p)) {
            if (s->size() >= max_value_bytes_) [[unlikely]]
                mysql::raise_value_too_large(i, s->size(), max_value_bytes_);
            // Not assign(): clear() and append() copy without assign's overlap checks, and
            // reuse the holder's buffer (its small-string space for short values).
            h.text.clear();
            h.text.append(s->data(), s->size());
        }
    }
    return entry;
}

void session::check_rollback_safe(std::string_view sql) {
    if (family_ == family::mysql && in_transaction_ && !rollback_guard_.known_safe(sql))
        rollback_guard_.check(sql, [this](std::string_view text, std::span<const param> params) {
            return query(text, params);
        });
}

void session::begin(isolation_level level) {
    const auto isolation = to_sql(level);
    if (!isolation.empty()) {
        switch (family_) {
        case family::postgresql:
            run_simple("BEGIN ISOLATION LEVEL " + std::string(isolation));
            in_transaction_ = true;
            return;
        case family::mysql:
            run_simple("SET TRANSACTION ISOLATION LEVEL " + std::string(isolation));
            break;
        default:
            break; // SQLite is always serializable
        }
    }
    // SOCI's own BEGIN, COMMIT and ROLLBACK run a fixed text through the native API; `sql <<`
    // would build and parse a statement every time (three allocations each).
    guarded("BEGIN", [&] { sql_->begin(); });
    in_transaction_ = true;
}

void session::commit() {
    if (family_ == family::postgresql && !lost_) {
        // PostgreSQL would answer this COMMIT with ROLLBACK, which SOCI reports as success
        // (semantics 2.3): refuse it instead.
        if (PQtransactionStatus(native_postgresql(*sql_)) == PQTRANS_INERROR) {
            guarded("ROLLBACK", [&] { sql_->rollback(); });
            in_transaction_ = false;
            spi::raise({spi::error_category::other},
                       {engine_, "25P02", 0,
                        "the transaction had failed, so COMMIT would have rolled it back",
                        "COMMIT"});
        }
    }
    guarded("COMMIT", [&] { sql_->commit(); });
    in_transaction_ = false;
}

void session::rollback() {
    in_transaction_ = false;
    guarded("ROLLBACK", [&] { sql_->rollback(); });
}

bool session::is_alive() noexcept {
    if (lost_)
        return false;
    switch (family_) {
    case family::postgresql:
        return postgresql::is_alive(native_postgresql(*sql_));
    case family::mysql:
        return mysql_ping(native_mysql(*sql_)) == 0; // reconnect is off: a lost server fails
    default:
        return true;
    }
}

bool session::in_transaction() {
    if (lost_)
        return false;
    switch (family_) {
    case family::sqlite: {
        return ::sqlite_api::sqlite3_get_autocommit(native_sqlite(*sql_)) == 0;
    }
    case family::postgresql: {
        const auto status = PQtransactionStatus(native_postgresql(*sql_));
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
    }
    case family::mysql:
        try {
            in_transaction_ = query_integer("SELECT @@in_transaction") != 0;
        } catch (const error&) {
        }
        return in_transaction_;
    case family::other:
        break;
    }
    return in_transaction_;
}

std::int64_t session::execute(std::string_view sql, std::span<const param> params) {
    const auto kind = detail::classify_statement(sql);
    if (kind == detail::statement_class::write)
        check_rollback_safe(sql);
    if (kind == detail::statement_class::ddl || kind == detail::statement_class::other)
        rollback_guard_.forget();
    const bool returns_rows =
        kind == detail::statement_class::query || kind == detail::statement_class::locking_query;
    auto& entry = prepare(sql, params, returns_rows);
    const auto changed = run_statement(sql, entry, [&]() -> std::int64_t {
        entry.statement->execute(true);
        if (entry.returns_rows) {
            while (entry.statement->fetch()) {
            }
            return 0;
        }
        return entry.statement->get_affected_rows();
    });
    if (family_ == family::mysql && in_transaction_ && kind == detail::statement_class::other &&
        query_integer("SELECT @@in_transaction") == 0) {
        in_transaction_ = false;
        mysql::raise_implicit_commit(engine_, sql);
    }
    return changed;
}

void session::note_stable_sql(std::string_view sql) {
    recent_.note_stable(sql);
    rollback_guard_.note_stable(sql);
}

void session::run_control(const std::string& sql) {
    // Only SOCI's other backends come here (savepoints as plain SQL); the three families Lockstep
    // knows run their savepoints through prepared statements (run_savepoint_statement).
    run_simple(sql);
}

void session::create_savepoint(std::string_view name) {
    if (family_ == family::other)
        return sql_savepoint_session::create_savepoint(name);
    run_savepoint_statement(savepoints_.find(name, spi::savepoint_step::create));
}

void session::release_savepoint(std::string_view name) {
    if (family_ == family::other)
        return sql_savepoint_session::release_savepoint(name);
    run_savepoint_statement(savepoints_.find(name, spi::savepoint_step::release));
}

void session::rollback_to_savepoint(std::string_view name) {
    if (family_ == family::other)
        return sql_savepoint_session::rollback_to_savepoint(name);
    run_savepoint_statement(savepoints_.find(name, spi::savepoint_step::rollback_to));
}

void session::run_savepoint(spi::savepoint_step step, std::size_t index, std::string_view name) {
    if (family_ == family::other)
        return sql_savepoint_session::run_savepoint(step, index, name);
    run_savepoint_statement(savepoints_.at_index(index, name, step));
}

// Savepoint statements stay prepared, as users of SOCI keep theirs: `sql << text` would build,
// parse and free a statement every time (allocations per savepoint).
void session::run_savepoint_statement(
    spi::savepoint_statements<std::unique_ptr<prepared>>::statement& s) {
    if (!s.handle) [[unlikely]] // prepared at first use: a name may never need its RELEASE
        s.handle = make_prepared(s.text, {}, false);
    try {
        guarded(s.text, [&] { s.handle->statement->execute(true); });
    } catch (...) {
        s.handle.reset(); // as run_statement drops a failed statement
        throw;
    }
}

[[gnu::always_inline]] inline void session::run_insert(std::string_view sql,
                                                       std::span<const param> params) {
    check_rollback_safe(sql); // an INSERT is a write: no need to classify its text
    auto& entry = prepare(sql, params, false);
    run_statement(sql, entry, [&] { entry.statement->execute(true); });
}

std::int64_t session::insert(std::string_view sql, std::span<const param> params,
                             std::string_view key_column) {
    if (key_column.empty()) { // no key wanted: the INSERT as it is, on every engine
        run_insert(sql, params);
        return 0;
    }
    switch (family_) {
    case family::postgresql: {
        // The RETURNING text is built once per statement; the key is read straight from the
        // statement's row (no std::vector<row> per insert).
        const std::string& text = returning_sql_.text(
            sql, key_column, [&](std::string_view c) { return quote_identifier(c); });
        return run_returning(text, prepare(text, params, true));
    }
    case family::sqlite:
    case family::mysql:
        run_insert(sql, params);
        return native_insert_id();
    case family::other:
        break;
    }
    execute(sql, params);
    return query_integer("SELECT LAST_INSERT_ID()");
}

std::int64_t session::run_returning(std::string_view text, prepared& entry) {
    const auto key = run_statement(text, entry, [&]() -> std::optional<std::int64_t> {
        if (!entry.statement->execute(true) || entry.row.get_indicator(0) == ::soci::i_null)
            return std::nullopt;
        const auto value = integer_at(entry.row, 0);
        while (entry.statement->fetch()) { // one row; read to the end all the same
        }
        return value;
    });
    if (!key)
        throw usage_error("The INSERT returned no key; was it an INSERT of one row?");
    return *key;
}

std::int64_t session::native_insert_id() {
    // No second statement: SQLite keeps the key on its handle, and MySQL's came back in the
    // server's OK packet, which the native handle holds.
    if (family_ == family::sqlite)
        return ::sqlite_api::sqlite3_last_insert_rowid(native_sqlite(*sql_));
    return static_cast<std::int64_t>(mysql_insert_id(native_mysql(*sql_)));
}

/// One table's INSERT with its own statement, outside the cache, for the parameter types of the
/// first row it writes: a row of those types binds straight into it, with no lookup by text.
/// A row of other types (a null where the first had a value) goes through `session::insert`.
// Aligned to a cache line: what a row reads of its plan is one line, not two.
class alignas(64) session::prepared_insert final : public spi::insert_plan {
public:
    prepared_insert(session& s, std::string_view sql, std::string_view key_column)
        : session_(s), sql_(sql), key_column_(key_column),
          returning_(s.family_ == family::postgresql && !key_column.empty()) {
        if (returning_)
            text_ = s.returning_sql_.text(
                sql, key_column, [&](std::string_view c) { return s.quote_identifier(c); });
    }
    std::int64_t insert(std::span<const param> params) override {
        const auto types = spi::parameter_signature(params);
        if (!types || (entry_ && *types != shape_)) [[unlikely]]
            return session_.insert(sql_, params, key_column_);
        session_.check_rollback_safe(sql_); // an INSERT is a write (MySQL)
        const std::string_view text = returning_ ? std::string_view(text_) : sql_;
        if (!entry_) [[unlikely]] {
            entry_ = session_.make_prepared(text, params, returning_);
            shape_ = *types;
        }
        session_.bind_values(*entry_, params);
        try {
            if (returning_)
                return session_.run_returning(text, *entry_);
            session_.guarded(sql_, [&] { entry_->statement->execute(true); });
        } catch (...) {
            entry_.reset(); // as session::run_statement discards a failed statement
            throw;
        }
        return key_column_.empty() ? 0 : session_.native_insert_id();
    }

private:
    session& session_;
    std::string_view sql_; // kept by the core for the session's life
    std::string key_column_;
    bool returning_;
    std::string text_; // PostgreSQL's INSERT ... RETURNING, when a key is read
    std::unique_ptr<prepared> entry_;
    std::uint64_t shape_ = 0;
};

std::unique_ptr<spi::insert_plan> session::plan_insert(std::string_view sql,
                                                       std::string_view key_column) {
    if (family_ == family::other) // keys through a query of their own: the default plan
        return spi::session::plan_insert(sql, key_column);
    return std::make_unique<prepared_insert>(*this, sql, key_column);
}

std::optional<std::int64_t> session::integer_at(const ::soci::row& r, std::size_t i) {
    switch (r.get_properties(i).get_data_type()) {
    case ::soci::dt_integer:
        return r.get<int>(i);
    case ::soci::dt_long_long:
        return r.get<long long>(i);
    case ::soci::dt_unsigned_long_long:
        return static_cast<std::int64_t>(r.get<unsigned long long>(i));
    default:
        return std::nullopt;
    }
}

std::vector<row> session::query(std::string_view sql, std::span<const param> params) {
    auto& entry = prepare(sql, params, true);
    std::vector<row> rows;
    run_statement(sql, entry, [&] {
        for (bool got = entry.statement->execute(true); got; got = entry.statement->fetch()) {
            const auto& r = entry.row;
            row values;
            values.reserve(r.size());
            for (std::size_t i = 0; i < r.size(); ++i) {
                if (r.get_indicator(i) == ::soci::i_null) {
                    values.emplace_back(std::monostate{});
                    continue;
                }
                switch (r.get_properties(i).get_data_type()) {
                case ::soci::dt_integer:
                case ::soci::dt_long_long:
                case ::soci::dt_unsigned_long_long:
                    values.emplace_back(*integer_at(r, i));
                    break;
                case ::soci::dt_double:
                    values.emplace_back(r.get<double>(i));
                    break;
                case ::soci::dt_string:
                case ::soci::dt_xml:
                    values.emplace_back(r.get<std::string>(i));
                    break;
                default:
                    throw not_supported("The SOCI adapter cannot read column " +
                                        std::to_string(i + 1) +
                                        " (a date or BLOB column) of this result.");
                }
            }
            rows.push_back(std::move(values));
        }
    });
    return rows;
}

std::string session::default_isolation() {
    std::string level;
    switch (family_) {
    case family::sqlite:
        return "serializable";
    case family::postgresql:
        return as_text(query("SHOW default_transaction_isolation", {}).at(0).at(0));
    case family::mysql:
        return mysql::default_isolation(
            [this](std::string_view sql, std::span<const param> params) {
                return query(sql, params);
            },
            version_);
    case family::other:
        break;
    }
    return "unknown (the SOCI backend's default)";
}

std::string session::server_session_id() {
    switch (family_) {
    case family::postgresql:
        return std::to_string(query_integer("SELECT pg_backend_pid()"));
    case family::mysql:
        return std::to_string(query_integer("SELECT CONNECTION_ID()"));
    default:
        return spi::session::server_session_id();
    }
}

void session::terminate_server_session(std::string_view id) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
    if (ec != std::errc{} || end != id.data() + id.size() || number <= 0)
        throw usage_error("\"" + std::string(id) + "\" is not a server session id.");
    switch (family_) {
    case family::postgresql: {
        const std::array<param, 1> pid{number};
        query("SELECT pg_terminate_backend(CAST(? AS integer))", pid);
        return;
    }
    case family::mysql:
        run_simple("KILL CONNECTION " + std::to_string(number)); // a parsed number, never input
        return;
    default:
        spi::session::terminate_server_session(id);
    }
}

std::string session::quote_identifier(std::string_view name) const {
    // SOCI's MySQL backend splices values into the text itself and takes a single quote for the
    // start of a literal even inside a `quoted` name, which would hide the placeholders after it.
    if (family_ == family::mysql && name.find('\'') != std::string_view::npos)
        throw not_supported("The SOCI adapter on MySQL cannot use a table or column name with a "
                            "single quote (\"" +
                            std::string(name) +
                            "\"): SOCI's MySQL backend misreads it. Rename it, or use the native "
                            "mysql:// adapter.");
    return spi::quote_identifier(name, dialect_->identifier_quote);
}

std::string session::column_type_sql(column_type type,
                                     std::optional<std::size_t> max_length) const {
    return dialect_->column_type(type, max_length);
}

std::string session::create_table_suffix() const {
    return family_ == family::mysql ? spi::mysql_table_suffix(collation_) : std::string();
}

} // namespace lockstep::soci
