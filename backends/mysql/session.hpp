// spi::session over one MySQL Connector/C++ connection, with prepared statements cached.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection_url.hpp"
#include "lockstep/spi/returning_sql.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/spi/string_map.hpp"
#include "mysql/rules.hpp"

#include <memory>
#include <string>
#include <unordered_map>

namespace sql {
class Connection;
class PreparedStatement;
class Statement;
class SQLException;
} // namespace sql

namespace lockstep::mysql {

class session final : public spi::sql_savepoint_session {
public:
    /// Connects to the server of `url`: strict SQL mode, utf8mb4 with a binary no-pad
    /// collation, auto-reconnect off. Throws `configuration_error` for unknown options and
    /// `connection_error` if the server cannot be reached or refuses the login.
    explicit session(const connection_url& url);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    std::string_view engine() const noexcept override { return "mysql"; }
    /// "galera" on a node of a MariaDB Galera cluster (wsrep_on), else "mysql".
    std::string_view target() const noexcept override { return galera_ ? "galera" : "mysql"; }
    const lockstep::features& features() const noexcept override { return features_; }
    std::string server_version() override { return version_; }
    std::string default_isolation() override;

    void begin(isolation_level level) override;
    void commit() override;
    void rollback() override;
    bool in_transaction() override;
    bool is_alive() noexcept override;

    std::int64_t execute(std::string_view sql, std::span<const param> params) override;
    std::int64_t insert(std::string_view sql, std::span<const param> params,
                        std::string_view key_column) override;
    std::unique_ptr<spi::insert_plan> plan_insert(std::string_view sql,
                                                  std::string_view key_column) override;
    std::vector<row> query(std::string_view sql, std::span<const param> params) override;
    void note_stable_sql(std::string_view sql) override;

    std::string server_session_id() override;
    void terminate_server_session(std::string_view id) override;

    std::string quote_identifier(std::string_view name) const override;
    std::string column_type_sql(column_type type,
                                std::optional<std::size_t> max_length) const override;
    std::string auto_key_sql() const override;
    std::string create_table_suffix() const override;

private:
    void run_control(const std::string& sql) override { run_simple(sql); }
    class prepared_insert;
    /// The cached prepared statement for `sql`, with `params` bound.
    sql::PreparedStatement& prepare(std::string_view sql, std::span<const param> params);
    /// A new prepared statement for `sql`, outside the cache.
    std::unique_ptr<sql::PreparedStatement> prepare_new(std::string_view sql);
    /// Raises connection_error for `sql` if the connection was lost earlier.
    void check_not_lost(std::string_view sql) const;
    /// Runs a bound INSERT and returns its key: from its RETURNING clause with `returning`, else
    /// from LAST_INSERT_ID() if `read_key`, else 0. Throws what Connector/C++ throws.
    std::int64_t execute_insert(sql::PreparedStatement& statement, bool returning, bool read_key);
    /// Binds `params` to `statement`, one per placeholder, and returns it.
    sql::PreparedStatement& bind(sql::PreparedStatement& statement, std::span<const param> params);
    /// Runs a statement without parameters (transaction control, session settings).
    void run_simple(const std::string& sql);
    /// `value`'s bytes, after checking that the server can take it (max_allowed_packet).
    const char* checked_size(std::string_view value, std::size_t index) const;
    /// Drops the cached prepared statement for `sql` after it failed.
    void forget_statement(std::string_view sql) noexcept;
    /// Translates a Connector/C++ exception; marks the session lost when it says so.
    [[noreturn]] void fail(const sql::SQLException& e, std::string_view sql);
    /// Refuses a write inside a transaction to a table whose engine ignores rollback
    /// (semantics 5.2).
    void check_rollback_safe(std::string_view sql);
    /// Raises if a statement ended the transaction implicitly behind the core's back.
    void check_still_in_transaction(std::string_view sql);
    std::int64_t query_integer(const std::string& sql);
    mysql::query_function query_function();
    mysql::run_function run_function();

    std::unique_ptr<sql::Connection> conn_;
    std::unique_ptr<sql::Statement> control_;
    lockstep::features features_;
    std::string version_;
    std::string collation_;
    bool in_transaction_ = false;
    bool lost_ = false;
    std::size_t max_value_bytes_ = 16 * 1024 * 1024; // the server's max_allowed_packet
    bool galera_ = false;                            // a Galera node (wsrep_on = ON)
    /// Why the server just connected to should not be used (a Galera node, per `galera_`,
    /// outside the primary component or not synced), or empty.
    std::string not_ready();
    spi::string_map<std::unique_ptr<sql::PreparedStatement>> statements_;
    spi::returning_sql_cache returning_sql_;
    rollback_guard rollback_guard_;
};

} // namespace lockstep::mysql
