// The conformance harness: fresh tables per case, transcripts, skips.
// SPDX-License-Identifier: MIT
#include "harness.hpp"

#include <algorithm>
#include <atomic>
#include <unistd.h>

namespace conformance {
namespace {

std::string& url_storage() {
    static std::string url = "sqlite::memory:";
    return url;
}

std::optional<std::string>& skip_storage() {
    static std::optional<std::string> reason;
    return reason;
}

std::string unique_prefix() {
    static std::atomic<int> counter{0};
    return "ls" + std::to_string(::getpid() % 100000) + "_" + std::to_string(++counter) + "_";
}

template <class Model, class F>
std::vector<std::string> sorted(lockstep::connection& reader, const lockstep::table<Model>& t,
                                F field) {
    std::vector<std::string> out;
    for (const auto& m : reader.all(t))
        out.push_back(field(m));
    std::sort(out.begin(), out.end());
    return out;
}

std::string join(const std::vector<std::string>& values) {
    std::string out = "[";
    for (const auto& v : values)
        out += (out.size() > 1 ? ", " : "") + ("'" + v + "'");
    return out + "]";
}

} // namespace

const std::string& database_url() {
    return url_storage();
}
void set_database_url(std::string url) {
    url_storage() = std::move(url);
}

transcript& current_transcript() {
    static transcript t;
    return t;
}

void mark_skipped(std::string reason) {
    skip_storage() = std::move(reason);
}
std::optional<std::string> skip_reason() {
    return skip_storage();
}
void reset_case_state() {
    skip_storage().reset();
    current_transcript().clear();
}

fixture::fixture() : db(lockstep::connection::open(database_url())), s(unique_prefix()) {
    db.create_tables(s.main, s.sig, s.uniq, s.audit, s.notes, s.guards);
}

fixture::~fixture() {
    try {
        std::optional<lockstep::connection> other;
        lockstep::connection* reader = &db;
        if (!db.is_usable() || db.in_atomic_block()) {
            if (!can_open_second_connection()) {
                log("rows: unavailable (the case's connection is lost)");
                return;
            }
            other.emplace(second_connection());
            reader = &*other;
        }
        const auto record = [&](const std::string& table, const std::vector<std::string>& rows) {
            if (!rows.empty())
                log("rows " + table + ": " + join(rows));
        };
        record("main", names(*reader, s));
        record("sig", sorted(*reader, s.sig, [](const signal_model& m) { return m.message; }));
        record("uniq", sorted(*reader, s.uniq, [](const unique_model& m) { return m.code; }));
        record("audit", sorted(*reader, s.audit, [](const audit_log& m) { return m.action; }));
        record("notes", sorted(*reader, s.notes, [](const note_model& m) {
                   return m.note + (m.main_id ? " (linked)" : " (unlinked)");
               }));
        reader->drop_tables(s.main, s.sig, s.uniq, s.audit, s.notes, s.guards);
    } catch (const std::exception& e) {
        log(std::string("rows: unavailable (") + e.what() + ")");
    }
}

bool fixture::can_open_second_connection() const {
    const auto url = lockstep::parse_connection_url(database_url());
    return url.database != ":memory:";
}

lockstep::connection fixture::second_connection(const std::string& extra_options) const {
    auto url = database_url();
    if (!extra_options.empty())
        url += (url.find('?') == std::string::npos ? "?" : "&") + extra_options;
    return lockstep::connection::open(url);
}

std::vector<std::string> fixture::names(lockstep::connection& reader, const schema& s) {
    return sorted(reader, s.main, [](const main_model& m) { return m.name; });
}
std::vector<std::string> fixture::messages() {
    return sorted(db, s.sig, [](const signal_model& m) { return m.message; });
}
std::vector<std::string> fixture::actions() {
    return sorted(db, s.audit, [](const audit_log& m) { return m.action; });
}
std::vector<std::string> fixture::codes() {
    return sorted(db, s.uniq, [](const unique_model& m) { return m.code; });
}

} // namespace conformance
