// spi::session over one sqlite3 handle, with a cache of prepared statements.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection_url.hpp"
#include "lockstep/spi/recent_statements.hpp"
#include "lockstep/spi/savepoint_statements.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/spi/string_map.hpp"

#include <array>
#include <memory>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace lockstep::sqlite {

/// How BEGIN takes locks: `deferred` waits for the first write, `immediate` takes the write
/// lock at once (so the busy timeout applies there, not at a later upgrade), `exclusive` also
/// keeps readers out (rollback-journal mode).
enum class begin_mode { deferred, immediate, exclusive };

class session final : public spi::session {
public:
    /// Opens the database of `url`. Throws `configuration_error` for unknown options and
    /// `connection_error` if the file cannot be opened.
    explicit session(const connection_url& url);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    std::string_view engine() const noexcept override { return "sqlite"; }
    std::string_view target() const noexcept override { return "sqlite"; }
    const lockstep::features& features() const noexcept override { return features_; }
    std::string server_version() override;
    /// SQLite transactions are always serializable.
    std::string default_isolation() override { return "serializable"; }

    void begin(isolation_level level) override;
    void commit() override;
    void rollback() override;
    bool in_transaction() override;

    std::int64_t execute(std::string_view sql, std::span<const param> params) override;
    std::int64_t insert(std::string_view sql, std::span<const param> params,
                        std::string_view key_column) override;
    /// A plan holding its own prepared statement: no lookup by text per row.
    std::unique_ptr<spi::insert_plan> plan_insert(std::string_view sql,
                                                  std::string_view key_column) override;
    std::vector<row> query(std::string_view sql, std::span<const param> params) override;
    void note_stable_sql(std::string_view sql) override;

    /// Savepoints through statements this session holds per name, outside the cache: the core
    /// uses one name per nesting depth, so a savepoint costs a short search and a step.
    void create_savepoint(std::string_view name) override;
    void release_savepoint(std::string_view name) override;
    void rollback_to_savepoint(std::string_view name) override;
    /// The core's savepoints: the statements found by the savepoint's stack index, no search.
    void run_savepoint(spi::savepoint_step step, std::size_t index, std::string_view name) override;

    std::string quote_identifier(std::string_view name) const override;
    std::string column_type_sql(column_type type,
                                std::optional<std::size_t> max_length) const override;
    std::string auto_key_sql() const override;

private:
    struct statement_deleter {
        void operator()(sqlite3_stmt* statement) const noexcept;
    };
    using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_deleter>;

    /// The prepared statement for `sql`, from the cache or newly prepared, with `params` bound.
    sqlite3_stmt* prepare(std::string_view sql, std::span<const param> params);
    /// A prepared statement, as the recent-statement cache keeps it (see recent_statements.hpp).
    struct recent_statement {
        const std::string* key = nullptr; // the cache's copy of the text
        sqlite3_stmt* statement = nullptr;
        std::size_t parameters = 0; // its placeholder count
    };
    /// The cached statement for `sql`, prepared now if it is not cached yet; now also recent.
    const recent_statement* find_or_prepare(std::string_view sql);
    /// `sql` prepared now, uncached; throws if it is not exactly one statement.
    statement_ptr prepare_new(std::string_view sql);
    /// Steps a bound INSERT once, reads past rows of a RETURNING, resets it; raises on failure.
    void step_insert(sqlite3_stmt* statement, std::string_view sql);
    class prepared_insert;
    sqlite3_stmt* bind(sqlite3_stmt* statement, std::string_view sql,
                       std::span<const param> params);
    /// Steps `statement` to completion, discarding rows; resets it even when it fails.
    void run(sqlite3_stmt* statement, std::string_view sql);
    /// Resets `statement` after its last step returned `rc`, and raises if that was an error.
    void finish(sqlite3_stmt* statement, int rc, std::string_view sql);
    /// finish's error path: reads the error, resets `statement`, raises.
    [[noreturn, gnu::cold]] void raise_step_error(sqlite3_stmt* statement, std::string_view sql);
    /// Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA), from the cache.
    void run_control(const std::string& sql);
    [[noreturn]] void fail(int code, std::string_view sql);
    [[noreturn]] static void throw_placeholder_mismatch(std::size_t expected, std::size_t given);
    /// Runs one savepoint statement, preparing it at its first use.
    void run_savepoint_statement(spi::savepoint_statements<statement_ptr>::statement& s);

    std::string file_; // named in messages about the file (read-only, damaged, full)
    sqlite3* db_ = nullptr;
    lockstep::features features_;
    begin_mode begin_mode_ = begin_mode::deferred;
    spi::string_map<statement_ptr> cache_;
    spi::recent_statements<recent_statement> recent_;
    spi::savepoint_statements<statement_ptr> savepoints_;
};

} // namespace lockstep::sqlite
