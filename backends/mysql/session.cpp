// spi::session over MySQL Connector/C++ 1.1: strict mode, utf8mb4 with a binary no-pad
// collation, InnoDB tables, no auto-reconnect; refuses writes that could not roll back and
// notices transactions that the server ended implicitly.
// SPDX-License-Identifier: MIT
#include "mysql/session.hpp"

#include "lockstep/detail/sql_scan.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/spi/dialects.hpp"
#include "lockstep/spi/quote.hpp"
#include "lockstep/spi/returning_sql.hpp"
#include "mysql/errors.hpp"
#include "mysql/rules.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cppconn/exception.h>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/resultset_metadata.h>
#include <cppconn/statement.h>
#include <mysql_connection.h>
#include <mysql_driver.h>
#include <sstream>

namespace lockstep::mysql {
namespace {

// Dynamic SQL must not grow the server's prepared statements without bound.
constexpr std::size_t max_cached_statements = 512;

int whole_seconds(const std::string& milliseconds) {
    int ms = -1;
    const auto [end, ec] =
        std::from_chars(milliseconds.data(), milliseconds.data() + milliseconds.size(), ms);
    if (ec != std::errc{} || end != milliseconds.data() + milliseconds.size() || ms < 0)
        throw configuration_error("MySQL option lock_timeout=\"" + milliseconds +
                                  "\" is not a number of milliseconds.");
    return std::max(1, (ms + 999) / 1000); // innodb_lock_wait_timeout counts whole seconds
}

// A non-negative whole number for option `name`, or configuration_error.
int whole_number(std::string_view name, const std::string& text) {
    int value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
        throw configuration_error("MySQL option " + std::string(name) + "=\"" + text +
                                  "\" is not a whole number of seconds.");
    return value;
}

} // namespace

session::session(const connection_url& url) {
    for (const auto& [key, value] : url.options)
        if (key != "isolation" && key != "lock_timeout" && key != "connect_timeout" &&
            key != "read_timeout")
            throw configuration_error("MySQL URL option \"" + key +
                                      "\" is unknown; MySQL URLs take isolation, lock_timeout, "
                                      "connect_timeout and read_timeout.");
    sql::ConnectOptionsMap options;
    options["userName"] = sql::SQLString(url.user);
    options["password"] = sql::SQLString(url.password);
    if (!url.database.empty())
        options["schema"] = sql::SQLString(url.database);
    // Never reconnect silently: a new session would silently be outside the transaction.
    options["OPT_RECONNECT"] = false;
    options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
    options["OPT_CONNECT_TIMEOUT"] =
        whole_number("connect_timeout", url.option("connect_timeout").value_or("10"));
    // A server that stops answering (a frozen or partitioned node) fails a statement after
    // this many seconds instead of hanging it; the client library tries a read three times.
    if (const auto timeout = url.option("read_timeout")) {
        const int seconds = whole_number("read_timeout", *timeout);
        options["OPT_READ_TIMEOUT"] = seconds;
        options["OPT_WRITE_TIMEOUT"] = seconds;
    }
    // UPDATE reports rows matched, not rows changed, as on other engines: save() relies on it.
    options["CLIENT_FOUND_ROWS"] = true;

    // A multi-host URL lists a cluster's nodes: the first that answers and is ready wins
    // (semantics 8.10). A Galera node that is up but not synced with the primary component
    // would refuse or lose work, so it is passed over like one that does not answer.
    std::vector<connection_url::endpoint> hosts{{url.host, url.port}};
    hosts.insert(hosts.end(), url.more_hosts.begin(), url.more_hosts.end());
    std::string passed_over;
    for (const auto& host : hosts) {
        const auto name =
            host.host.starts_with("/")
                ? "unix://" + host.host
                : "tcp://" +
                      (host.host.find(':') != std::string::npos ? "[" + host.host + "]"
                       : host.host.empty()                      ? std::string("127.0.0.1")
                                                                : host.host) +
                      ":" + std::to_string(host.port.value_or(3306));
        options["hostName"] = sql::SQLString(name);
        try {
            conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(options));
            control_.reset(conn_->createStatement());
        } catch (const sql::SQLException& e) {
            std::string message = e.what();
            if (!url.password.empty())
                for (std::size_t pos; (pos = message.find(url.password)) != std::string::npos;)
                    message.replace(pos, url.password.size(), "***");
            if (hosts.size() == 1)
                spi::raise({spi::error_category::connection},
                           {"mysql", e.getSQLState(), e.getErrorCode(), message, ""});
            passed_over += (passed_over.empty() ? "" : "; ") + name + ": " + message;
            control_.reset();
            conn_.reset();
            continue;
        }
        // A Galera node names itself as its own target (commits can lose to other nodes
        // there), and is judged for readiness. MySQL has no wsrep_on: no row, no error.
        galera_ = false;
        for (const auto& row : query("SHOW VARIABLES LIKE 'wsrep_on'", {}))
            galera_ = row.size() == 2 && as_text(row.at(1)) == "ON";
        if (hosts.size() == 1)
            break;
        if (const auto why = not_ready(); !why.empty()) {
            passed_over += (passed_over.empty() ? "" : "; ") + name + ": " + why;
            statements_.clear(); // prepared on this connection: they die before it
            control_.reset();
            conn_.reset();
            continue;
        }
        break;
    }
    if (!conn_)
        spi::raise(
            {spi::error_category::connection},
            {"mysql", "08001", 0,
             "no host of " + url.redacted() + " answered and was ready (" + passed_over + ")", ""});
    {
        const auto rows = query("SELECT VERSION()", {});
        version_ = as_text(rows.at(0).at(0));
    }
    collation_ = configure_session(query_function(), run_function());
    // A value over the packet limit makes the server drop the statement's data; it is refused
    // before sending instead, with data_error (semantics 6.2).
    max_value_bytes_ = static_cast<std::size_t>(query_integer("SELECT @@max_allowed_packet"));
    if (const auto timeout = url.option("lock_timeout"))
        run_simple("SET SESSION innodb_lock_wait_timeout = " +
                   std::to_string(whole_seconds(*timeout)));

    const bool mariadb = version_.find("MariaDB") != std::string::npos;
    int major = 0, minor = 0;
    const auto dot = version_.find('.');
    std::from_chars(version_.data(), version_.data() + version_.size(), major);
    if (dot != std::string::npos)
        std::from_chars(version_.data() + dot + 1, version_.data() + version_.size(), minor);
    features_ = spi::mysql_features();
    features_.supports_returning = mariadb && (major > 10 || (major == 10 && minor >= 5));
}

session::~session() {
    // Statements belong to the connection: close them first. Connector/C++ can throw from
    // close() on a dead connection; a destructor must not.
    try {
        statements_.clear();
        control_.reset();
        if (conn_ && !lost_)
            conn_->close();
    } catch (...) {
    }
}

void session::fail(const sql::SQLException& e, std::string_view sql) {
    const auto category = classify(e.getErrorCode(), e.getSQLState()).category;
    if (category == spi::error_category::connection || conn_->isClosed()) {
        lost_ = true;
        in_transaction_ = false;
        raise_error(e.getErrorCode() != 0 ? e.getErrorCode() : 2013, e.getSQLState(), e.what(),
                    sql);
    }
    raise_error(e.getErrorCode(), e.getSQLState(), e.what(), sql);
}

void session::run_simple(const std::string& sql) {
    if (lost_)
        raise_error(2006, "HY000", "the connection was lost earlier", sql);
    try {
        control_->execute(sql);
    } catch (const sql::SQLException& e) {
        fail(e, sql);
    }
}

void session::check_not_lost(std::string_view sql) const {
    if (lost_) [[unlikely]]
        raise_error(2006, "HY000", "the connection was lost earlier", sql);
}

sql::PreparedStatement& session::prepare(std::string_view sql, std::span<const param> params) {
    check_not_lost(sql);
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        if (statements_.size() >= max_cached_statements)
            statements_.clear();
        it = statements_.emplace(std::string(sql), prepare_new(sql)).first;
    }
    return bind(*it->second, params);
}

std::unique_ptr<sql::PreparedStatement> session::prepare_new(std::string_view sql) {
    try {
        return std::unique_ptr<sql::PreparedStatement>(
            conn_->prepareStatement(sql::SQLString(sql.data(), sql.size())));
    } catch (const sql::SQLException& e) {
        fail(e, sql);
    }
}

sql::PreparedStatement& session::bind(sql::PreparedStatement& statement,
                                      std::span<const param> params) {
    try {
        for (std::size_t i = 0; i < params.size(); ++i) {
            const auto index = static_cast<unsigned>(i + 1);
            const auto& p = params[i];
            if (std::holds_alternative<std::nullptr_t>(p))
                statement.setNull(index, sql::DataType::SQLNULL);
            else if (const auto* n = std::get_if<std::int64_t>(&p))
                statement.setInt64(index, *n);
            else if (const auto* d = std::get_if<double>(&p))
                statement.setDouble(index, *d);
            else if (const auto* b = std::get_if<bool>(&p))
                statement.setBoolean(index, *b);
            else if (const auto* s = std::get_if<std::string_view>(&p))
                statement.setString(index, sql::SQLString(checked_size(*s, i), s->size()));
            else if (const auto* bytes = std::get_if<std::span<const std::byte>>(&p))
                // Sent as a string of bytes: a BLOB column keeps them as they are.
                statement.setString(
                    index,
                    sql::SQLString(
                        checked_size(std::string_view(reinterpret_cast<const char*>(bytes->data()),
                                                      bytes->size()),
                                     i),
                        bytes->size()));
        }
    } catch (const sql::SQLException& e) {
        // A wrong number of values surfaces here as "Invalid parameter index".
        throw usage_error("The statement's placeholders do not match the " +
                          std::to_string(params.size()) + " values given: " + e.what());
    }
    return statement;
}

const char* session::checked_size(std::string_view value, std::size_t index) const {
    if (value.size() >= max_value_bytes_) [[unlikely]]
        raise_value_too_large(index, value.size(), max_value_bytes_);
    return value.data() ? value.data() : "";
}

void session::forget_statement(std::string_view sql) noexcept {
    // A statement that failed may have left the server's copy in a state where every later
    // execution fails the same way (a long value cut off mid-packet): prepare it afresh.
    try {
        if (const auto it = statements_.find(sql); it != statements_.end())
            statements_.erase(it);
    } catch (...) {
    }
}

void session::check_rollback_safe(std::string_view sql) {
    // On Galera a write to a table the cluster cannot replicate is refused outside blocks too.
    if ((in_transaction_ || galera_) && !rollback_guard_.known_safe(sql))
        rollback_guard_.check(sql, query_function(), galera_);
}

void session::note_stable_sql(std::string_view sql) {
    rollback_guard_.note_stable(sql);
}

void session::check_still_in_transaction(std::string_view sql) {
    if (!in_transaction_ || query_integer("SELECT @@in_transaction") != 0)
        return;
    in_transaction_ = false;
    raise_implicit_commit("mysql", sql);
}

query_function session::query_function() {
    return
        [this](std::string_view sql, std::span<const param> params) { return query(sql, params); };
}

run_function session::run_function() {
    return [this](const std::string& sql) { run_simple(sql); };
}

std::int64_t session::query_integer(const std::string& sql) {
    const auto rows = query(sql, {});
    return rows.empty() || is_null(rows[0][0]) ? 0 : as_integer(rows[0][0]);
}

void session::begin(isolation_level level) {
    if (level != isolation_level::engine_default)
        run_simple("SET TRANSACTION ISOLATION LEVEL " + std::string(to_sql(level)));
    run_simple("START TRANSACTION");
    in_transaction_ = true;
}

std::string session::not_ready() {
    // MariaDB reports wsrep status variables even without Galera; only a wsrep node is judged.
    if (!galera_)
        return {};
    std::string ready = "ON", state = "Synced";
    for (const auto& row : query("SHOW STATUS WHERE Variable_name IN ('wsrep_ready', "
                                 "'wsrep_local_state_comment')",
                                 {})) {
        const auto name = as_text(row.at(0));
        (name == "wsrep_ready" ? ready : state) = as_text(row.at(1));
    }
    if (ready == "ON" && state == "Synced")
        return {}; // a Galera node in the primary component
    return "a Galera node that is not ready (wsrep_ready=" + ready + ", state " + state + ")";
}

void session::commit() {
    run_simple("COMMIT");
    in_transaction_ = false;
}

void session::rollback() {
    in_transaction_ = false;
    run_simple("ROLLBACK");
}

bool session::is_alive() noexcept {
    if (lost_)
        return false;
    try {
        // Connector/C++ exposes no socket to poll: a ping is one short round trip, which the
        // pool pays only for connections that were idle (pool_options::check_idle_after).
        return conn_->isValid();
    } catch (...) {
        return false;
    }
}

bool session::in_transaction() {
    if (lost_)
        return false;
    // Ask the server: a deadlock or an implicit commit ends the transaction behind our back.
    try {
        in_transaction_ = query_integer("SELECT @@in_transaction") != 0;
    } catch (const error&) {
    }
    return in_transaction_;
}

std::int64_t session::execute(std::string_view sql, std::span<const param> params) {
    if (galera_) [[unlikely]]
        refuse_galera_traps(sql);
    const auto kind = detail::classify_statement(sql);
    if (kind == detail::statement_class::write)
        check_rollback_safe(sql);
    if (kind == detail::statement_class::ddl || kind == detail::statement_class::other)
        rollback_guard_.forget(); // the statement may have changed a table's engine
    auto& statement = prepare(sql, params);
    std::int64_t changed = 0;
    try {
        // Connector/C++ 1.1 has no update count after execute() on a prepared statement, so
        // the statement's class picks the call.
        if (kind == detail::statement_class::query ||
            kind == detail::statement_class::locking_query)
            std::unique_ptr<sql::ResultSet>(statement.executeQuery()); // drain and free
        else
            changed = statement.executeUpdate();
    } catch (const sql::SQLException& e) {
        forget_statement(sql);
        fail(e, sql);
    }
    if (kind == detail::statement_class::other)
        check_still_in_transaction(sql);
    return changed;
}

std::int64_t session::insert(std::string_view sql, std::span<const param> params,
                             std::string_view key_column) {
    check_rollback_safe(sql);
    // MariaDB 10.5+: the key comes back in the same round trip. The RETURNING text is built once
    // per statement.
    const bool returning = features_.supports_returning && !key_column.empty();
    const std::string_view text =
        returning ? std::string_view(returning_sql_.text(
                        sql, key_column, [&](std::string_view c) { return quote_identifier(c); }))
                  : sql;
    auto& statement = prepare(text, params);
    try {
        return execute_insert(statement, returning, !key_column.empty());
    } catch (const sql::SQLException& e) {
        forget_statement(text);
        fail(e, text);
    }
}

std::int64_t session::execute_insert(sql::PreparedStatement& statement, bool returning,
                                     bool read_key) {
    if (!returning) {
        statement.executeUpdate();
        // query_integer raises lockstep's errors, which the callers' handlers let pass.
        return read_key ? query_integer("SELECT LAST_INSERT_ID()") : 0;
    }
    // The key is read straight from the result set.
    const std::unique_ptr<sql::ResultSet> result(statement.executeQuery());
    if (!result->next())
        throw usage_error("The INSERT returned no key; was it an INSERT of one row?");
    return result->getInt64(1);
}

/// One table's INSERT with its own prepared statement, outside the cache: a row binds straight
/// into it, with no lookup of the statement or of its RETURNING text by the SQL per row. It does
/// what session::insert does for the same SQL and key column, in the same order.
class session::prepared_insert final : public spi::insert_plan {
public:
    prepared_insert(session& s, std::string_view sql, std::string_view key_column)
        : session_(s), sql_(sql), read_key_(!key_column.empty()),
          returning_(read_key_ && s.features_.supports_returning) {
        if (returning_) // MariaDB 10.5+: the key comes back in the same round trip
            text_ = s.returning_sql_.text(
                sql, key_column, [&](std::string_view c) { return s.quote_identifier(c); });
    }
    std::int64_t insert(std::span<const param> params) override {
        session_.check_rollback_safe(sql_); // semantics 5.2
        const std::string_view text = returning_ ? std::string_view(text_) : sql_;
        session_.check_not_lost(text);
        if (!statement_) [[unlikely]]
            statement_ = session_.prepare_new(text);
        try {
            return session_.execute_insert(session_.bind(*statement_, params), returning_,
                                           read_key_);
        } catch (const sql::SQLException& e) {
            statement_.reset(); // as the cache forgets a failed statement: prepared anew
            session_.fail(e, text);
        }
    }

private:
    session& session_;
    std::string_view sql_; // kept by the core for the session's life
    bool read_key_;
    bool returning_;
    std::string text_; // the INSERT ... RETURNING, when returning_
    std::unique_ptr<sql::PreparedStatement> statement_;
};

std::unique_ptr<spi::insert_plan> session::plan_insert(std::string_view sql,
                                                       std::string_view key_column) {
    return std::make_unique<prepared_insert>(*this, sql, key_column);
}

std::vector<row> session::query(std::string_view sql, std::span<const param> params) {
    if (galera_) [[unlikely]]
        refuse_galera_traps(sql);
    auto& statement = prepare(sql, params);
    std::vector<row> rows;
    try {
        std::unique_ptr<sql::ResultSet> result(statement.executeQuery());
        auto* meta = result->getMetaData();
        const auto columns = meta->getColumnCount();
        std::vector<int> types(columns);
        for (unsigned c = 0; c < columns; ++c)
            types[c] = meta->getColumnType(c + 1);
        while (result->next()) {
            row r;
            r.reserve(columns);
            for (unsigned c = 1; c <= columns; ++c) {
                if (result->isNull(c)) {
                    r.emplace_back(std::monostate{});
                    continue;
                }
                switch (types[c - 1]) {
                case sql::DataType::BIT:
                case sql::DataType::TINYINT:
                case sql::DataType::SMALLINT:
                case sql::DataType::MEDIUMINT:
                case sql::DataType::INTEGER:
                case sql::DataType::BIGINT:
                case sql::DataType::YEAR:
                    r.emplace_back(static_cast<std::int64_t>(result->getInt64(c)));
                    break;
                case sql::DataType::REAL:
                case sql::DataType::DOUBLE:
                case sql::DataType::DECIMAL:
                case sql::DataType::NUMERIC:
                    r.emplace_back(static_cast<double>(result->getDouble(c)));
                    break;
                case sql::DataType::BINARY:
                case sql::DataType::VARBINARY:
                case sql::DataType::LONGVARBINARY: {
                    const std::string bytes = result->getString(c).asStdString();
                    const auto* begin = reinterpret_cast<const std::byte*>(bytes.data());
                    r.emplace_back(blob(begin, begin + bytes.size()));
                    break;
                }
                default:
                    r.emplace_back(result->getString(c).asStdString());
                }
            }
            rows.push_back(std::move(r));
        }
    } catch (const sql::SQLException& e) {
        forget_statement(sql);
        fail(e, sql);
    }
    if (detail::classify_statement(sql) == detail::statement_class::other)
        check_still_in_transaction(sql);
    return rows;
}

std::string session::default_isolation() {
    return mysql::default_isolation(query_function(), version_);
}

std::string session::server_session_id() {
    return std::to_string(query_integer("SELECT CONNECTION_ID()"));
}

void session::terminate_server_session(std::string_view id) {
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), number);
    if (ec != std::errc{} || end != id.data() + id.size() || number <= 0)
        throw usage_error("\"" + std::string(id) + "\" is not a MySQL connection id.");
    // KILL cannot be prepared; the id was parsed as a number, so nothing else reaches the SQL.
    run_simple("KILL CONNECTION " + std::to_string(number));
}

std::string session::quote_identifier(std::string_view name) const {
    return spi::quote_identifier(name, spi::mysql_dialect().identifier_quote);
}

std::string session::column_type_sql(column_type type,
                                     std::optional<std::size_t> max_length) const {
    return spi::mysql_dialect().column_type(type, max_length);
}

std::string session::auto_key_sql() const {
    return spi::mysql_dialect().auto_key;
}

std::string session::create_table_suffix() const {
    return spi::mysql_table_suffix(collation_);
}

} // namespace lockstep::mysql
