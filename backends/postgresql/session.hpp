// spi::session over one libpq connection, with named server-side prepared statements cached.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection_url.hpp"
#include "lockstep/spi/recent_statements.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/spi/string_map.hpp"

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace lockstep::postgresql {

class session final : public spi::sql_savepoint_session {
public:
    /// Connects to the server of `url`. Throws `configuration_error` for unknown options and
    /// `connection_error` if the server cannot be reached or refuses the login.
    explicit session(const connection_url& url);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    std::string_view engine() const noexcept override { return "postgresql"; }
    /// "postgresql-pipeline" with `pipeline=on`, so conform's matrix tells the two apart.
    std::string_view target() const noexcept override {
        return pipeline_enabled_ ? "postgresql-pipeline" : "postgresql";
    }
    const lockstep::features& features() const noexcept override { return features_; }
    std::string server_version() override;
    std::string default_isolation() override;

    void begin(isolation_level level) override;
    void commit() override;
    void rollback() override;
    bool in_transaction() override;
    bool is_alive() noexcept override;

    std::int64_t execute(std::string_view sql, std::span<const param> params) override;
    std::int64_t insert(std::string_view sql, std::span<const param> params,
                        std::string_view key_column) override;
    std::vector<row> query(std::string_view sql, std::span<const param> params) override;
    void note_stable_sql(std::string_view sql) override { recent_.note_stable(sql); }
    bool pipelines() const noexcept override { return pipeline_enabled_; }
    /// Inside a transaction with `pipeline=on`: sends the statement in libpq's pipeline mode and
    /// returns without waiting (semantics 10.2).
    void execute_deferred(std::string_view sql, std::span<const param> params) override;
    void sync() override;
    /// Keys from the column's sequence, fetched in batches (`nextval` over a series) and kept
    /// until the transaction ends (semantics 10.3).
    std::optional<std::int64_t> reserve_key(std::string_view table,
                                            std::string_view key_column) override;
    bool can_copy_rows() const noexcept override { return true; }
    bool can_wait_for_notifications() const noexcept override { return true; }
    bool wait_for_notification(std::chrono::milliseconds timeout) override;
    /// COPY FROM STDIN in text format, sent in pieces of about 64 KiB as the rows are made.
    std::int64_t copy_rows(std::string_view target, std::size_t columns, std::size_t rows,
                           const row_filler& fill) override;

    std::string server_session_id() override;
    void terminate_server_session(std::string_view id) override;

    std::string quote_identifier(std::string_view name) const override;
    std::string column_type_sql(column_type type,
                                std::optional<std::size_t> max_length) const override;
    std::string auto_key_sql() const override;

    void create_savepoint(std::string_view name) override;
    void release_savepoint(std::string_view name) override;
    void rollback_to_savepoint(std::string_view name) override;

private:
    void run_control(const std::string& sql) override;
    struct result_deleter {
        void operator()(PGresult* r) const noexcept;
    };
    using result_ptr = std::unique_ptr<PGresult, result_deleter>;

    /// Runs `sql` as a prepared statement with `params` bound; returns the successful result.
    /// With `returning`, the statement is `sql` followed by RETURNING that column; the text is
    /// built once, when the statement is prepared.
    result_ptr run_prepared(std::string_view sql, std::span<const param> params,
                            std::string_view returning = {});
    /// Runs a statement without parameters (transaction control); returns its result.
    result_ptr run_simple(const std::string& sql);
    /// Throws the lockstep error for a failed result (or a lost connection when `r` is null).
    [[noreturn]] void fail(const PGresult* r, std::string_view sql);
    struct prepared {
        std::string name;
        std::vector<unsigned> parameter_types; // as the server resolved them
    };
    /// The statement for `sql` with these parameter types and RETURNING column: from the
    /// recent-statement cache by the text's address, else from the statement map by the whole
    /// key, else prepared now.
    const prepared& prepare(std::string_view sql, std::span<const param> params,
                            std::string_view returning);
    /// A statement as the recent-statement cache keeps it (see recent_statements.hpp). One
    /// text may be prepared for several parameter type lists, so a hit must match those too.
    struct recent_statement {
        const std::string* key = nullptr; // the statement map's key: the text, then the types
        const prepared* statement = nullptr;
        std::uint64_t types = 0;    // spi::parameter_signature of the params it was found for
        std::string_view returning; // inside *key
    };

    /// Binds `params` for `statement` into values_/lengths_/formats_.
    void bind(const prepared& statement, std::span<const param> params);
    /// Queues a statement without parameters in the pipeline (SAVEPOINT, RELEASE, BEGIN).
    void queue_control(const std::string& sql);
    /// Enters pipeline mode if not in it, and notes `sql` as the next result to read.
    void enter_pipeline();
    void note_queued(std::string_view sql);
    /// sync(), swallowing a queued statement's failure: for ROLLBACK, which undoes it anyway.
    void discard_queued() noexcept;
    /// Ends the transaction's pipeline bookkeeping (COMMIT or ROLLBACK done).
    void end_transaction() noexcept;

    PGconn* conn_ = nullptr;
    bool pipeline_enabled_ = false;       // pipeline=on in the URL
    bool pipelining_ = false;             // in a transaction begun with the pipeline enabled
    bool in_pipeline_ = false;            // libpq is in pipeline mode
    std::size_t queued_ = 0;              // statements sent whose results are not read yet
    std::vector<std::string> queued_sql_; // their texts, for errors; strings reused
    std::size_t queued_writes_ = 0;       // of them, statements other than SAVEPOINT/RELEASE/BEGIN
    bool defer_control_ = false;          // queue the next run_control statement
    /// Keys taken ahead per round trip: the first batch of a transaction, doubled per batch up to
    /// the last (semantics 10.3).
    static constexpr int first_key_batch = 16, last_key_batch = 1024;
    struct key_block {
        std::string table, column;
        std::string sequence; // empty: not looked up yet
        bool unavailable = false;
        std::vector<std::int64_t> keys;
        std::size_t next = 0;
        int batch = first_key_batch;
    };
    std::vector<key_block> keys_; // a few tables per connection: searched, nothing allocated
    lockstep::features features_;
    spi::string_map<prepared> statements_;
    std::uint64_t next_statement_ = 1;
    // Reused for every call, so binding allocates nothing once they have grown.
    std::string cache_key_;
    spi::recent_statements<recent_statement> recent_;
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<std::array<char, 32>> numbers_;
    std::vector<std::string> texts_; // NUL-terminated copies for text sent in text format
};

} // namespace lockstep::postgresql
