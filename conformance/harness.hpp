// The conformance harness: the engine under test, a fresh schema per case, the event transcript
// each case records, and the skip mechanism (Debian's Catch2 2.13 has no SKIP).
// SPDX-License-Identifier: MIT
#pragma once

#include "models.hpp"

#include <lockstep/lockstep.hpp>
#include <optional>
#include <string>
#include <vector>

namespace conformance {

/// The URL every case connects to (from --url, LOCKSTEP_TEST_URL, or sqlite::memory:).
const std::string& database_url();
void set_database_url(std::string url);

/// The events of the running case, in order: receivers called, hooks run, errors raised, and
/// at the end the rows committed. Compared across engines by `lockstep conform`.
class transcript {
public:
    void add(std::string event) { events_.push_back(std::move(event)); }
    const std::vector<std::string>& events() const noexcept { return events_; }
    void clear() { events_.clear(); }

private:
    std::vector<std::string> events_;
};

/// The running case's transcript.
transcript& current_transcript();

/// Marks the running case as skipped with `reason`; the case must then return.
void mark_skipped(std::string reason);
/// The skip reason of the running case, if it was skipped.
std::optional<std::string> skip_reason();
void reset_case_state();

/// Skips the running case (and returns from it) with a reason. Use at the top level of a
/// TEST_CASE body, never inside a SECTION or a lambda.
#define LOCKSTEP_SKIP(reason)                                                                      \
    do {                                                                                           \
        ::conformance::mark_skipped(reason);                                                       \
        return;                                                                                    \
    } while (false)

/// Skips the running case unless the capability holds.
#define LOCKSTEP_REQUIRE_FEATURE(capability, reason)                                               \
    do {                                                                                           \
        if (!(capability))                                                                         \
            LOCKSTEP_SKIP(reason);                                                                 \
    } while (false)

/// A connection to the engine under test with a fresh set of tables whose names are unique to
/// this case; on destruction it records the committed rows in the transcript and drops them.
class fixture {
public:
    fixture();
    ~fixture();
    fixture(const fixture&) = delete;
    fixture& operator=(const fixture&) = delete;

    /// Appends an event to the case's transcript.
    void log(std::string event) { current_transcript().add(std::move(event)); }

    /// Can the case open a second connection to the same database? (Not to sqlite::memory:,
    /// which is private to one connection.)
    bool can_open_second_connection() const;
    /// A second connection to the same database, for visibility and concurrency cases, with
    /// `extra_options` ("lock_timeout=200") added to the URL's query.
    lockstep::connection second_connection(const std::string& extra_options = {}) const;

    /// Committed content, sorted by value (never by key: semantics 5.4), read through `reader`.
    static std::vector<std::string> names(lockstep::connection& reader, const schema& s);
    std::vector<std::string> names() { return names(db, s); }
    std::vector<std::string> messages();
    std::vector<std::string> actions();
    std::vector<std::string> codes();

    lockstep::connection db;
    schema s;
};

/// Runs `body` and returns the class of the lockstep error it threw ("integrity_error", ...),
/// "boom" for the cases' own exception, "none" if nothing was thrown. Records nothing, so it is
/// safe on other threads, whose order would make transcripts differ from run to run.
template <class Body> std::string error_class_of_unrecorded(Body&& body) {
    try {
        body();
    } catch (const lockstep::error& e) {
        return e.kind();
    } catch (const boom&) {
        return "boom";
    }
    return "none";
}

/// Like error_class_of_unrecorded, and records "raised <class>" in the transcript.
template <class Body> std::string error_class_of(Body&& body) {
    auto kind = error_class_of_unrecorded(std::forward<Body>(body));
    current_transcript().add("raised " + kind);
    return kind;
}

} // namespace conformance
