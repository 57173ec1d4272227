// The scripted fake session: records calls, throws where the test asked it to.
// SPDX-License-Identifier: MIT
#include "testing/fake_session.hpp"

#include "lockstep/spi/quote.hpp"

namespace lockstep::testing {

void fake_session::record(std::string call) {
    calls_.push_back(call);
    for (auto it = failures_.begin(); it != failures_.end(); ++it)
        if (call.starts_with(it->first)) {
            auto thrower = std::move(it->second);
            failures_.erase(it);
            thrower();
            return;
        }
}

void fake_session::fail_next(std::string prefix, std::function<void()> throw_error) {
    failures_.emplace_back(std::move(prefix), std::move(throw_error));
}

void fake_session::begin(isolation_level level) {
    record(level == isolation_level::engine_default ? "begin"
                                                    : "begin " + std::string(to_sql(level)));
    in_transaction_ = true;
}
void fake_session::commit() {
    record("commit");
    in_transaction_ = false;
}
void fake_session::rollback() {
    in_transaction_ = false;
    record("rollback");
}
void fake_session::run_savepoint(spi::savepoint_step step, std::size_t index,
                                 std::string_view name) {
    if (name != "ls" + std::to_string(index))
        record("savepoint index mismatch: " + std::to_string(index) + " for " + std::string(name));
    spi::session::run_savepoint(step, index, name);
}

void fake_session::create_savepoint(std::string_view name) {
    record("create_savepoint " + std::string(name));
}
void fake_session::release_savepoint(std::string_view name) {
    record("release_savepoint " + std::string(name));
}
void fake_session::rollback_to_savepoint(std::string_view name) {
    record("rollback_to_savepoint " + std::string(name));
}

std::int64_t fake_session::execute(std::string_view sql, std::span<const param>) {
    record("execute " + std::string(sql));
    return 1;
}
std::int64_t fake_session::insert(std::string_view sql, std::span<const param>,
                                  std::string_view key_column) {
    if (key_column.empty()) {
        record("insert (no key) " + std::string(sql));
        return 0;
    }
    record("insert " + std::string(sql));
    return next_key_++;
}
std::unique_ptr<spi::insert_plan> fake_session::plan_insert(std::string_view sql,
                                                            std::string_view key_column) {
    ++plans_made_;
    return spi::session::plan_insert(sql, key_column);
}
std::vector<row> fake_session::query(std::string_view sql, std::span<const param>) {
    record("query " + std::string(sql));
    return {};
}

std::string fake_session::quote_identifier(std::string_view name) const {
    return spi::quote_identifier(name, '"');
}
std::string fake_session::column_type_sql(column_type type, std::optional<std::size_t>) const {
    switch (type) {
    case column_type::integer:
    case column_type::boolean:
        return "INTEGER";
    case column_type::real:
        return "REAL";
    case column_type::text:
        return "TEXT";
    case column_type::binary:
        break;
    }
    return "BLOB";
}

fake_connection::fake_connection()
    : session(new fake_session), db(std::unique_ptr<spi::session>(session)) {}

} // namespace lockstep::testing
