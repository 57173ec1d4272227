// spi::session over the SQLite C API: prepared statements cached per connection, foreign keys
// on, a busy timeout, and every failure translated by errors.cpp.
// SPDX-License-Identifier: MIT
#include "sqlite/session.hpp"

#include "lockstep/errors.hpp"
#include "lockstep/spi/dialects.hpp"
#include "lockstep/spi/quote.hpp"
#include "sqlite/errors.hpp"

#include <charconv>
#include <cstring>
#include <sqlite3.h>

namespace lockstep::sqlite {
namespace {

// Dynamic SQL (find() with varying filters) must not grow the cache without bound.
constexpr std::size_t max_cached_statements = 256;

int parse_milliseconds(const std::string& text) {
    int value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
        throw configuration_error("SQLite option busy_timeout (lock_timeout)=\"" + text +
                                  "\" is not a number of milliseconds.");
    return value;
}

begin_mode parse_begin_mode(const std::string& text) {
    if (text == "deferred")
        return begin_mode::deferred;
    if (text == "immediate")
        return begin_mode::immediate;
    if (text == "exclusive")
        return begin_mode::exclusive;
    throw configuration_error("SQLite option begin=\"" + text +
                              "\" is unknown; use deferred, immediate or exclusive.");
}

} // namespace

void session::statement_deleter::operator()(sqlite3_stmt* statement) const noexcept {
    sqlite3_finalize(statement);
}

session::session(const connection_url& url) : file_(url.database) {
    static constexpr std::string_view known_options[] = {"begin", "busy_timeout", "lock_timeout",
                                                         "journal_mode", "isolation"};
    for (const auto& [key, value] : url.options) {
        bool known = false;
        for (const auto k : known_options)
            known = known || key == k;
        if (!known)
            throw configuration_error("SQLite URL option \"" + key +
                                      "\" is unknown; SQLite URLs take begin, busy_timeout (or "
                                      "lock_timeout), journal_mode and isolation.");
    }
    // Every option is checked before the file is opened: nothing to close when one is wrong.
    if (const auto mode = url.option("begin"))
        begin_mode_ = parse_begin_mode(*mode);
    // lock_timeout is the name every Lockstep engine understands; busy_timeout is SQLite's own.
    const int busy_timeout = parse_milliseconds(
        url.option("lock_timeout").value_or(url.option("busy_timeout").value_or("5000")));
    const auto journal = url.option("journal_mode");
    if (journal) {
        static constexpr std::string_view modes[] = {"delete", "truncate", "persist",
                                                     "memory", "wal",      "off"};
        bool valid = false;
        for (const auto m : modes)
            valid = valid || *journal == m;
        if (!valid)
            throw configuration_error("SQLite option journal_mode=\"" + *journal +
                                      "\" is unknown; use delete, truncate, persist, memory, wal "
                                      "or off.");
    }

    // NOMUTEX: a connection is used by one thread at a time (semantics 8.4, checked by the
    // connection itself), so SQLite's own per-connection mutex would only cost time.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(url.database.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close_v2(db_);
        db_ = nullptr;
        raise_error(rc, message, "", file_);
    }
    try {
        sqlite3_extended_result_codes(db_, 1);
        sqlite3_busy_timeout(db_, busy_timeout);
        // A file that is not a database opens fine; the first statement reads its header.
        run_control("PRAGMA foreign_keys = ON");
        if (journal)
            query("PRAGMA journal_mode = " + *journal, {}); // one of the names checked above
    } catch (...) {
        recent_.clear();
        cache_.clear(); // statements must be finalized before the handle closes
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }

    features_ = spi::sqlite_features();
    features_.supports_returning = sqlite3_libversion_number() >= 3035000;
}

session::~session() {
    // Statements must be finalized before the handle closes.
    savepoints_.clear();
    cache_.clear();
    sqlite3_close_v2(db_);
}

std::string session::server_version() {
    return sqlite3_libversion();
}

void session::fail(int code, std::string_view sql) {
    raise_error(code, sqlite3_errmsg(db_), sql, file_);
}

// bind() switches on the parameter's index: these keep the cases in step with `param`.
static_assert(std::is_same_v<std::variant_alternative_t<0, param>, std::nullptr_t> &&
              std::is_same_v<std::variant_alternative_t<1, param>, std::int64_t> &&
              std::is_same_v<std::variant_alternative_t<2, param>, double> &&
              std::is_same_v<std::variant_alternative_t<3, param>, bool> &&
              std::is_same_v<std::variant_alternative_t<4, param>, std::string_view> &&
              std::variant_size_v<param> == 6);

namespace {

// The rarer parameter types, out of the hot loop.
int bind_other(sqlite3_stmt* statement, int position, const param& p) {
    switch (p.index()) {
    case 0:
        return sqlite3_bind_null(statement, position);
    case 2:
        return sqlite3_bind_double(statement, position, *std::get_if<double>(&p));
    case 3:
        return sqlite3_bind_int(statement, position, *std::get_if<bool>(&p) ? 1 : 0);
    default: {
        const auto* bytes = std::get_if<std::span<const std::byte>>(&p);
        // An empty span may have no address, which SQLite would store as NULL: an empty blob
        // is a zero-length blob (semantics 6.4).
        if (bytes->empty())
            return sqlite3_bind_zeroblob(statement, position, 0);
        return sqlite3_bind_blob64(statement, position, bytes->data(), bytes->size(),
                                   SQLITE_STATIC);
    }
    }
}

} // namespace

// Inlined into its three callers: it runs for every statement.
[[gnu::always_inline]] inline sqlite3_stmt*
session::bind(sqlite3_stmt* statement, std::string_view sql, std::span<const param> params) {
    // The caller has checked that there is one value per placeholder. SQLITE_STATIC: the
    // borrowed text lives until the statement is reset, within this call.
    const int count = static_cast<int>(params.size());
    for (int i = 0; i < count; ++i) {
        const auto& p = params[static_cast<std::size_t>(i)];
        int rc;
        if (const auto* s = std::get_if<std::string_view>(&p))
            // A default-constructed view has no address, which SQLite would store as NULL.
            rc = sqlite3_bind_text64(statement, i + 1, s->data() ? s->data() : "", s->size(),
                                     SQLITE_STATIC, SQLITE_UTF8);
        else if (const auto* n = std::get_if<std::int64_t>(&p))
            rc = sqlite3_bind_int64(statement, i + 1, *n);
        else
            rc = bind_other(statement, i + 1, p);
        if (rc != SQLITE_OK) [[unlikely]]
            fail(rc, sql);
    }
    return statement;
}

[[gnu::always_inline]] inline sqlite3_stmt* session::prepare(std::string_view sql,
                                                             std::span<const param> params) {
    const auto* recent = recent_.find(sql);
    const auto entry = recent != nullptr ? recent : find_or_prepare(sql);
    if (entry->parameters != params.size())
        throw_placeholder_mismatch(entry->parameters, params.size());
    return bind(entry->statement, sql, params);
}

void session::note_stable_sql(std::string_view sql) {
    recent_.note_stable(sql);
}

void session::throw_placeholder_mismatch(std::size_t expected, std::size_t given) {
    throw usage_error("The statement has " + std::to_string(expected) + " placeholders but " +
                      std::to_string(given) + " values were given.");
}

const session::recent_statement* session::find_or_prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        if (cache_.size() >= max_cached_statements) {
            recent_.clear();
            cache_.clear();
        }
        it = cache_.emplace(std::string(sql), prepare_new(sql)).first;
    }
    return &recent_.put(sql,
                        {&it->first, it->second.get(),
                         static_cast<std::size_t>(sqlite3_bind_parameter_count(it->second.get()))});
}

session::statement_ptr session::prepare_new(std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    statement_ptr statement(raw);
    if (rc != SQLITE_OK)
        fail(rc, sql);
    if (!statement)
        throw usage_error("The SQL text contains no statement.");
    for (; tail != nullptr && tail < sql.data() + sql.size(); ++tail)
        if (!std::isspace(static_cast<unsigned char>(*tail)) && *tail != ';')
            throw usage_error("Only one statement may be run per call; split \"" +
                              std::string(sql) + "\" into separate calls.");
    return statement;
}

// Inlined into its callers, which run it for every statement; the error path is out of line,
// so that its string does not widen their frames.
[[gnu::always_inline]] inline void session::finish(sqlite3_stmt* statement, int rc,
                                                   std::string_view sql) {
    // Bindings are not cleared: every parameter is bound again before the next use (the count
    // is checked), so clearing would only cost time.
    if (rc != SQLITE_DONE) [[unlikely]]
        raise_step_error(statement, sql);
    sqlite3_reset(statement);
}

void session::raise_step_error(sqlite3_stmt* statement, std::string_view sql) {
    // Read the error before the reset, which would clear it; reset even when raising, so the
    // cached statement is ready for its next use.
    const int code = sqlite3_extended_errcode(db_);
    const std::string message = sqlite3_errmsg(db_);
    sqlite3_reset(statement);
    raise_error(code, message, sql, file_);
}

void session::run(sqlite3_stmt* statement, std::string_view sql) {
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    }
    finish(statement, rc, sql);
}

void session::run_control(const std::string& sql) {
    run(prepare(sql, {}), sql);
}

// Inlined into both ways of finding a savepoint's statement.
[[gnu::always_inline]] inline void
session::run_savepoint_statement(spi::savepoint_statements<statement_ptr>::statement& s) {
    if (!s.handle) [[unlikely]] // prepared at first use: a name may never need its RELEASE
        s.handle = prepare_new(s.text);
    run(s.handle.get(), s.text);
}

void session::create_savepoint(std::string_view name) {
    run_savepoint_statement(savepoints_.find(name, spi::savepoint_step::create));
}

void session::release_savepoint(std::string_view name) {
    run_savepoint_statement(savepoints_.find(name, spi::savepoint_step::release));
}

void session::rollback_to_savepoint(std::string_view name) {
    run_savepoint_statement(savepoints_.find(name, spi::savepoint_step::rollback_to));
}

void session::run_savepoint(spi::savepoint_step step, std::size_t index, std::string_view name) {
    run_savepoint_statement(savepoints_.at_index(index, name, step));
}

void session::begin(isolation_level) {
    // SQLite transactions are always serializable, which satisfies every level asked for.
    switch (begin_mode_) {
    case begin_mode::deferred:
        return run_control("BEGIN DEFERRED");
    case begin_mode::immediate:
        return run_control("BEGIN IMMEDIATE");
    case begin_mode::exclusive:
        return run_control("BEGIN EXCLUSIVE");
    }
}

void session::commit() {
    run_control("COMMIT");
}

void session::rollback() {
    // ROLLBACK fails if SQLite already rolled back by itself (disk full, I/O error); that is
    // the outcome we wanted.
    if (sqlite3_get_autocommit(db_))
        return;
    run_control("ROLLBACK");
}

bool session::in_transaction() {
    return sqlite3_get_autocommit(db_) == 0;
}

std::int64_t session::execute(std::string_view sql, std::span<const param> params) {
    run(prepare(sql, params), sql);
    return sqlite3_changes64(db_);
}

// Inlined into session::insert and prepared_insert::insert: it runs for every row.
[[gnu::always_inline]] inline void session::step_insert(sqlite3_stmt* statement,
                                                        std::string_view sql) {
    const int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) [[unlikely]] {
        if (rc == SQLITE_ROW) // an INSERT with its own RETURNING: read past the rows
            run(statement, sql);
        else
            finish(statement, rc, sql); // raises
    } else {
        sqlite3_reset(statement);
    }
}

std::int64_t session::insert(std::string_view sql, std::span<const param> params,
                             std::string_view key_column) {
    // The same steps with or without a key: reading it costs nothing here, and one hot path
    // serves both a model's inserts and its receivers' adds.
    step_insert(prepare(sql, params), sql);
    return key_column.empty() ? 0 : sqlite3_last_insert_rowid(db_);
}

/// One table's INSERT with its own statement, outside the cache: nothing evicts it, and a row
/// binds straight into it.
// Aligned to a cache line: what a row reads of its plan is one line, not two.
class alignas(64) session::prepared_insert final : public spi::insert_plan {
public:
    prepared_insert(session& s, std::string_view sql, bool read_key)
        : session_(s), sql_(sql), statement_(s.prepare_new(sql)),
          parameters_(static_cast<std::size_t>(sqlite3_bind_parameter_count(statement_.get()))),
          read_key_(read_key) {}
    std::int64_t insert(std::span<const param> params) override {
        if (params.size() != parameters_) [[unlikely]]
            throw_placeholder_mismatch(parameters_, params.size());
        session_.step_insert(session_.bind(statement_.get(), sql_, params), sql_);
        return read_key_ ? sqlite3_last_insert_rowid(session_.db_) : 0;
    }

private:
    session& session_;
    std::string_view sql_; // kept by the core for the session's life
    statement_ptr statement_;
    std::size_t parameters_;
    bool read_key_;
};

std::unique_ptr<spi::insert_plan> session::plan_insert(std::string_view sql,
                                                       std::string_view key_column) {
    return std::make_unique<prepared_insert>(*this, sql, !key_column.empty());
}

std::vector<row> session::query(std::string_view sql, std::span<const param> params) {
    auto* statement = prepare(sql, params);
    std::vector<row> rows;
    const int columns = sqlite3_column_count(statement);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
        row r;
        r.reserve(static_cast<std::size_t>(columns));
        for (int i = 0; i < columns; ++i) {
            switch (sqlite3_column_type(statement, i)) {
            case SQLITE_INTEGER:
                r.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(statement, i)));
                break;
            case SQLITE_FLOAT:
                r.emplace_back(sqlite3_column_double(statement, i));
                break;
            case SQLITE_TEXT: {
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
                r.emplace_back(std::string(
                    text, static_cast<std::size_t>(sqlite3_column_bytes(statement, i))));
                break;
            }
            case SQLITE_BLOB: {
                const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(statement, i));
                r.emplace_back(blob(data, data + sqlite3_column_bytes(statement, i)));
                break;
            }
            default:
                r.emplace_back(std::monostate{});
            }
        }
        rows.push_back(std::move(r));
    }
    finish(statement, rc, sql);
    return rows;
}

std::string session::quote_identifier(std::string_view name) const {
    return spi::quote_identifier(name, spi::sqlite_dialect().identifier_quote);
}

std::string session::column_type_sql(column_type type,
                                     std::optional<std::size_t> max_length) const {
    return spi::sqlite_dialect().column_type(type, max_length);
}

std::string session::auto_key_sql() const {
    return spi::sqlite_dialect().auto_key;
}

} // namespace lockstep::sqlite
