// A scripted spi::session for unit tests of the core: records every call and fails on demand,
// so the exact SPI call sequences can be checked without a database.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection.hpp"
#include "lockstep/spi/driver.hpp"
#include "lockstep/spi/session.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lockstep::testing {

/// Records calls as "begin", "commit", "create_savepoint ls1", "execute <sql>", ...
/// `fail_next(prefix, error)` makes the next call whose record starts with `prefix` throw.
class fake_session final : public spi::session {
public:
    std::string_view engine() const noexcept override { return "fake"; }
    const lockstep::features& features() const noexcept override { return features_; }
    std::string server_version() override { return "fake 1"; }
    std::string default_isolation() override { return "serializable"; }

    void begin(isolation_level level) override;
    void commit() override;
    void rollback() override;
    void create_savepoint(std::string_view name) override;
    void release_savepoint(std::string_view name) override;
    void rollback_to_savepoint(std::string_view name) override;
    /// The default (it calls the three above), after recording "savepoint index mismatch" when
    /// `index` is not the one the core names `name` after (ls<index>, semantics 1.6).
    void run_savepoint(spi::savepoint_step step, std::size_t index, std::string_view name) override;
    bool in_transaction() override { return in_transaction_; }
    bool is_alive() noexcept override { return alive_; }
    /// Makes the engine go away (as a restarted server does): is_alive() answers false.
    void go_away() noexcept { alive_ = false; }

    std::int64_t execute(std::string_view sql, std::span<const param> params) override;
    std::int64_t insert(std::string_view sql, std::span<const param> params,
                        std::string_view key_column) override;
    std::vector<row> query(std::string_view sql, std::span<const param> params) override;
    /// The default plan (it calls insert), counted in plans_made() and not recorded in calls().
    std::unique_ptr<spi::insert_plan> plan_insert(std::string_view sql,
                                                  std::string_view key_column) override;
    /// How many insert plans the core has asked for.
    int plans_made() const noexcept { return plans_made_; }

    std::string quote_identifier(std::string_view name) const override;
    std::string column_type_sql(column_type type,
                                std::optional<std::size_t> max_length) const override;
    std::string auto_key_sql() const override { return "INTEGER PRIMARY KEY"; }

    /// Every call so far, in order.
    const std::vector<std::string>& calls() const noexcept { return calls_; }
    void clear_calls() { calls_.clear(); }
    /// The next call whose record starts with `prefix` throws what `make_error` returns.
    void fail_next(std::string prefix, std::function<void()> throw_error);
    /// Makes the engine report that it left the transaction (as MySQL does after DDL).
    void end_transaction_behind_the_core() { in_transaction_ = false; }
    lockstep::features& mutable_features() { return features_; }

private:
    void record(std::string call);

    lockstep::features features_;
    std::vector<std::string> calls_;
    std::vector<std::pair<std::string, std::function<void()>>> failures_;
    bool in_transaction_ = false;
    bool alive_ = true;
    std::int64_t next_key_ = 1;
    int plans_made_ = 0;
};

/// Details that mark an error as the fake engine's own, as a backend's errors are marked; errors
/// without them count as raised by Lockstep before anything was sent.
inline error_details from_engine() {
    return {"fake", "", 1, "the fake engine failed", ""};
}

/// A connection over a fake session that the test keeps a pointer to.
struct fake_connection {
    fake_connection();
    fake_session* session; // owned by db
    connection db;
};

/// A driver of fake sessions under the "sqlite" family name, so pool URLs parse; tests register
/// one and read how many sessions it opened and which it opened last.
class fake_driver final : public spi::driver {
public:
    std::string_view name() const noexcept override { return "sqlite"; }
    std::unique_ptr<spi::session> open(const connection_url&) const override {
        auto s = std::make_unique<fake_session>();
        last = s.get();
        ++opened;
        return s;
    }
    mutable std::atomic<int> opened{0};
    mutable fake_session* last = nullptr;
};

} // namespace lockstep::testing
