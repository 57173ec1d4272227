// spi::session over a SOCI session: savepoints through SQL, transaction state tracked here or
// read from the native handle, errors through each engine's own table, statements prepared
// once and reused.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection_url.hpp"
#include "lockstep/spi/dialects.hpp"
#include "lockstep/spi/recent_statements.hpp"
#include "lockstep/spi/returning_sql.hpp"
#include "lockstep/spi/savepoint_statements.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/spi/string_map.hpp"
#include "mysql/rules.hpp"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <soci/soci.h>
#include <string>
#include <unordered_map>

namespace lockstep::soci {

class session final : public spi::sql_savepoint_session {
public:
    /// Opens a SOCI session for `url` (`soci+<backend>://...`). Throws `configuration_error` for
    /// unknown options or a backend SOCI cannot load, `connection_error` if the database cannot
    /// be reached.
    explicit session(const connection_url& url);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    std::string_view engine() const noexcept override { return engine_; }
    std::string_view target() const noexcept override { return target_; }
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
    /// A plan that holds its own prepared statement for the first parameter types it is given
    /// (a row with a null in another column goes through `insert` and the cache).
    std::unique_ptr<spi::insert_plan> plan_insert(std::string_view sql,
                                                  std::string_view key_column) override;
    std::vector<row> query(std::string_view sql, std::span<const param> params) override;
    void note_stable_sql(std::string_view sql) override;

    /// Savepoints through statements this session holds per name, outside the cache (SOCI's
    /// other backends: plain SQL, as before).
    void create_savepoint(std::string_view name) override;
    void release_savepoint(std::string_view name) override;
    void rollback_to_savepoint(std::string_view name) override;
    /// The core's savepoints: the statements found by the savepoint's stack index, no search.
    void run_savepoint(spi::savepoint_step step, std::size_t index, std::string_view name) override;

    std::string server_session_id() override;
    void terminate_server_session(std::string_view id) override;

    std::string quote_identifier(std::string_view name) const override;
    std::string column_type_sql(column_type type,
                                std::optional<std::size_t> max_length) const override;
    std::string auto_key_sql() const override { return dialect_->auto_key; }
    std::string create_table_suffix() const override;

private:
    void run_control(const std::string& sql) override;
    enum class family { sqlite, postgresql, mysql, other };

    // One bound value; SOCI binds by reference, so holders never move once bound.
    struct holder {
        long long integer = 0;
        double real = 0;
        std::string text;
        ::soci::indicator indicator = ::soci::i_ok;
    };
    struct prepared {
        std::unique_ptr<::soci::statement> statement;
        std::unique_ptr<holder[]> holders; // one per parameter, allocated once at prepare
        ::soci::row row;
        bool returns_rows = false;
    };
    class prepared_insert;
    prepared& prepare(std::string_view sql, std::span<const param> params, bool returns_rows);
    /// A new statement for `sql`, bound to holders for `params`' types (not yet to their values).
    std::unique_ptr<prepared> make_prepared(std::string_view sql, std::span<const param> params,
                                            bool returns_rows);
    prepared& prepare_cached(std::string_view sql, std::span<const param> params, bool returns_rows,
                             bool has_shape, std::uint64_t shape);
    prepared& bind_values(prepared& entry, std::span<const param> params);
    [[noreturn, gnu::cold]] void raise_lost(std::string_view sql);
    [[noreturn, gnu::cold]] void raise_translated(const ::soci::soci_error& e,
                                                  std::string_view sql);
    /// Runs an INSERT whose key the caller reads from the native handle.
    void run_insert(std::string_view sql, std::span<const param> params);
    /// Runs `work`, translating SOCI's exceptions; a lost connection marks the session lost.
    template <class Work> auto guarded(std::string_view sql, Work&& work) -> decltype(work());
    /// Runs `work` with `entry`'s statement like `guarded`; when it fails the statement is
    /// dropped, and prepared afresh on its next use. SOCI 4.0's PostgreSQL backend leaks the
    /// buffers of bound values when a statement whose execute threw is executed again.
    template <class Work>
    auto run_statement(std::string_view sql, prepared& entry, Work&& work) -> decltype(work());
    void discard(const prepared& entry) noexcept;
    /// Runs one savepoint statement, preparing it at its first use.
    void
    run_savepoint_statement(spi::savepoint_statements<std::unique_ptr<prepared>>::statement& s);
    /// Runs `entry`, an INSERT ... RETURNING of one key (PostgreSQL), and returns the key.
    std::int64_t run_returning(std::string_view text, prepared& entry);
    /// The key of the row just inserted, from the native handle (SQLite and MySQL).
    std::int64_t native_insert_id();
    /// Column `i` of `r` as an integer, if SOCI reports an integer type for it.
    static std::optional<std::int64_t> integer_at(const ::soci::row& r, std::size_t i);
    void run_simple(const std::string& sql);
    std::int64_t query_integer(const std::string& sql);
    bool connection_is_bad();
    void check_rollback_safe(std::string_view sql);

    std::optional<::soci::session> sql_;
    family family_ = family::other;
    std::string engine_;
    std::string target_;
    std::string version_;
    std::string collation_;
    const spi::sql_dialect* dialect_ = &spi::postgresql_dialect();
    lockstep::features features_;
    bool in_transaction_ = false;
    bool lost_ = false;
    /// The largest value the server takes (MySQL's max_allowed_packet); none elsewhere.
    std::size_t max_value_bytes_ = static_cast<std::size_t>(-1);
    std::string cache_key_;
    spi::string_map<std::unique_ptr<prepared>> cache_;
    /// Recently used statements by the address of their text (see recent_statements.hpp).
    struct recent_statement {
        const std::string* key = nullptr; // the cache key, which starts with the text
        std::uint64_t shape = 0;          // parameter types, and whether it returns rows
        prepared* entry = nullptr;
    };
    spi::recent_statements<recent_statement> recent_;
    spi::returning_sql_cache returning_sql_;
    spi::savepoint_statements<std::unique_ptr<prepared>> savepoints_;
    mysql::rollback_guard rollback_guard_;
};

} // namespace lockstep::soci
