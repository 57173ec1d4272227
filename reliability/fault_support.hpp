// Shared parts of the fault tests: a parent/child schema whose post_save receiver writes the
// child (so a half-committed block shows as a parent without its child), fresh directories,
// skipping, kill-safe event records, and the figures each test reports for docs/reliability.md.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <lockstep/builtin.hpp>
#include <lockstep/lockstep.hpp>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace reliability {

struct parent {
    std::int64_t id = 0;
    std::string name;
};

struct child {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;
    std::string name;
};

/// Two tables named after `prefix` and this process; the receiver from `connect_child_writer`
/// inserts "child of <name>" for every new parent, inside the caller's transaction.
struct pair_schema {
    explicit pair_schema(const std::string& prefix)
        : parents(
              "rel_" + prefix + "_" + std::to_string(::getpid()) + "_parent",
              {lockstep::primary_key(&parent::id, "id"), lockstep::column(&parent::name, "name")}),
          children("rel_" + prefix + "_" + std::to_string(::getpid()) + "_child",
                   {lockstep::primary_key(&child::id, "id"),
                    lockstep::foreign_key(&child::parent_id, "parent_id", parents,
                                          lockstep::on_delete::cascade),
                    lockstep::column(&child::name, "name")}) {}

    lockstep::subscription connect_child_writer() const {
        return lockstep::post_save.connect(parents, [this](const lockstep::saved<parent>& e) {
            if (e.created)
                e.db.add(children, child{.id = 0,
                                         .parent_id = e.instance.id,
                                         .name = "child of " + e.instance.name});
        });
    }

    lockstep::table<parent> parents;
    lockstep::table<child> children;
};

/// A new, empty directory under the build tree's temporary folder.
inline std::filesystem::path fresh_directory(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("lockstep-reliability-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

/// The size of one record of append_record: it divides the page size.
inline constexpr std::size_t record_size = 32;

/// Appends `text` (under record_size bytes, no newline) to an O_APPEND file as one record of
/// record_size bytes, padded with spaces and ending in a newline, with one write(2).
///
/// Why fixed-size records: a process killed inside write(2) can leave part of it behind, since
/// Linux stops a write between two pages when a fatal signal is pending. Half a line would run
/// into the next process's first line and read as a number nobody wrote. A record whose size
/// divides the page size never spans two pages, so a kill leaves whole records only. Readers
/// split on white space: `in >> n` reads the records unchanged.
inline void append_record(int fd, std::string_view text) {
    std::array<char, record_size> record{};
    if (text.size() >= record_size)
        std::_Exit(3);
    record.fill(' ');
    text.copy(record.data(), text.size());
    record.back() = '\n';
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()))
        std::_Exit(3);
}

/// Appends the event "WHAT N PID" (this process's id) as one record: the outbox tests' log, whose
/// order is the order in which the events happened, across processes.
inline void record_event(int fd, char what, std::int64_t n) {
    append_record(fd, std::string(1, what) + " " + std::to_string(n) + " " +
                          std::to_string(::getpid()));
}

/// Ends the process with ctest's skip code, saying why; ctest reports the case as skipped.
[[noreturn]] inline void skip_case(const std::string& reason) {
    std::cout << "SKIPPED: " << reason << std::endl;
    std::_Exit(77);
}

/// The URL in environment variable `name`, or a skip when ci/services did not set it.
inline std::string url_from_env(const char* name) {
    const char* url = std::getenv(name);
    if (url == nullptr || *url == '\0')
        skip_case(std::string(name) + " is not set (run ci/services up)");
    return url;
}

/// Runs `ci/services VERB WHAT` (LOCKSTEP_SERVICES_SCRIPT, set by ctest) and requires success:
/// `services("kill", "galera1")`, `services("stop-primary")`.
inline void services(const std::string& verb, const std::string& what = "") {
    const char* script = std::getenv("LOCKSTEP_SERVICES_SCRIPT");
    REQUIRE(script != nullptr);
    REQUIRE(std::system((std::string(script) + " " + verb + " " + what).c_str()) == 0);
}

/// Prints a figure for docs/reliability.md: "RELIABILITY <what>: <figures>".
inline void report(const std::string& what, const std::string& figures) {
    std::cout << "RELIABILITY " << what << ": " << figures << std::endl;
}

/// The class of the lockstep error `body` threw, or "none". Prints the error's message too, so
/// that a failing check on the class shows what the engine said (ctest shows it on failure).
template <class Body> std::string error_kind_of(Body&& body) {
    try {
        body();
    } catch (const lockstep::error& e) {
        std::cout << "error_kind_of: " << e.kind() << ": " << e.what() << std::endl;
        return e.kind();
    }
    return "none";
}

/// A block held open across a server kill: on a connection of `pool`, it inserts a parent
/// named `name` (and registers an on_commit hook that adds `name` to `hooked` under `mutex`),
/// calls `kill(db)`, then inserts again. Returns the class of the error it ended with, which
/// must be "connection_error": the kill surely met a block in flight, which a pool's threads
/// between blocks, or connections idle in the pool (replaced unseen), may all miss. `kill` must
/// return only once the server is gone, as `services("kill", ...)` does. The broken connection
/// goes back to the pool, which discards it.
template <class Kill>
std::string block_held_across(lockstep::connection_pool& pool, const pair_schema& s,
                              const std::string& name, std::mutex& mutex,
                              std::set<std::string>& hooked, Kill&& kill) {
    auto db = pool.acquire(std::chrono::seconds(10));
    return error_kind_of([&] {
        lockstep::atomic(*db, [&] {
            lockstep::on_commit(*db, [&] {
                const std::lock_guard lock(mutex);
                hooked.insert(name);
            });
            db->insert(s.parents, parent{.id = 0, .name = name});
            kill(*db);
            db->insert(s.parents, parent{.id = 0, .name = name + "-after"});
        });
    });
}

} // namespace reliability
