// The driver registry (a mutex-guarded map from family name to driver), and the SPI's default
// answers for optional session features.
// SPDX-License-Identifier: MIT
#include "lockstep/errors.hpp"
#include "lockstep/spi/driver.hpp"

#include <map>
#include <mutex>

namespace lockstep::spi {
namespace {

struct registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const driver>, std::less<>> drivers;
};

registry& the_registry() {
    static registry r;
    return r;
}

} // namespace

std::string session::server_session_id() {
    throw not_supported("This engine has no server sessions to name; check "
                        "db.features().can_terminate_sessions.");
}

void session::terminate_server_session(std::string_view) {
    throw not_supported("This engine cannot end another session; check "
                        "db.features().can_terminate_sessions.");
}

namespace {

/// The default plan: the session's own insert, with the text and key column kept.
class text_insert_plan final : public insert_plan {
public:
    text_insert_plan(session& s, std::string_view sql, std::string_view key_column)
        : session_(s), sql_(sql), key_column_(key_column) {}
    std::int64_t insert(std::span<const param> params) override {
        return session_.insert(sql_, params, key_column_);
    }

private:
    session& session_;
    std::string_view sql_; // kept by the core for the session's life
    std::string key_column_;
};

} // namespace

std::unique_ptr<insert_plan> session::plan_insert(std::string_view sql,
                                                  std::string_view key_column) {
    return std::make_unique<text_insert_plan>(*this, sql, key_column);
}

bool session::wait_for_notification(std::chrono::milliseconds) {
    throw not_supported("This engine cannot wait for notifications; check "
                        "db.can_wait_for_notifications().");
}

std::int64_t session::copy_rows(std::string_view, std::size_t, std::size_t, const row_filler&) {
    throw not_supported("This engine has no bulk copy path; the core asks can_copy_rows() first.");
}

void register_driver(std::shared_ptr<const driver> d) {
    auto& r = the_registry();
    const std::lock_guard lock(r.mutex);
    auto name = std::string(d->name());
    r.drivers[std::move(name)] = std::move(d);
}

std::shared_ptr<const driver> find_driver(std::string_view name) {
    auto& r = the_registry();
    const std::lock_guard lock(r.mutex);
    const auto it = r.drivers.find(name);
    return it == r.drivers.end() ? nullptr : it->second;
}

std::vector<std::string> registered_drivers() {
    auto& r = the_registry();
    const std::lock_guard lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& [name, d] : r.drivers)
        names.push_back(name);
    return names;
}

} // namespace lockstep::spi
