// Tests of the SQLite session on an in-memory database: savepoints whose statements are reused
// by name.
// SPDX-License-Identifier: MIT
#include "sqlite/session.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

using namespace lockstep;

namespace {

void add(sqlite::session& s, std::int64_t v) {
    const std::vector<param> params{v};
    s.execute("INSERT INTO t (v) VALUES (?)", params);
}

/// A session on a fresh in-memory table t(v), inside a transaction that has added v = 1.
std::unique_ptr<sqlite::session> open_in_transaction() {
    auto s = std::make_unique<sqlite::session>(parse_connection_url("sqlite::memory:"));
    s->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)", {});
    s->begin(isolation_level::engine_default);
    add(*s, 1);
    return s;
}

std::vector<std::int64_t> values(sqlite::session& s) {
    std::vector<std::int64_t> out;
    for (const auto& r : s.query("SELECT v FROM t ORDER BY v", {}))
        out.push_back(as_integer(r.at(0)));
    return out;
}

} // namespace

TEST_CASE("Savepoints reused by name undo exactly the work done after them, at every depth",
          "[sqlite][savepoints]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    // The same two names over and over, as the core uses them (one per nesting depth): their
    // statements are prepared once and found again each time.
    for (std::int64_t i = 0; i < 50; ++i) {
        s.create_savepoint("ls1");
        add(s, 100 + i);
        s.create_savepoint("ls2");
        add(s, 1000 + i);
        s.rollback_to_savepoint("ls2"); // drops 1000 + i only
        s.release_savepoint("ls2");
        if (i % 2 == 1) {
            s.rollback_to_savepoint("ls1"); // drops 100 + i as well
        }
        s.release_savepoint("ls1");
    }
    s.commit();
    std::vector<std::int64_t> expected{1};
    for (std::int64_t i = 0; i < 50; i += 2)
        expected.push_back(100 + i);
    CHECK(values(s) == expected);
}

TEST_CASE("A savepoint statement that fails raises an error naming it, and the session goes on",
          "[sqlite][savepoints]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    CHECK_THROWS_AS(s.release_savepoint("ls7"), error);
    CHECK_THROWS_WITH(s.rollback_to_savepoint("ls7"), Catch::Contains("ls7"));
    // The failed statements were reset: the same names work once the savepoint exists.
    s.create_savepoint("ls7");
    add(s, 2);
    s.rollback_to_savepoint("ls7");
    s.release_savepoint("ls7");
    s.commit();
    CHECK(values(s) == std::vector<std::int64_t>{1});
}

TEST_CASE("A wrong option is refused before the file is opened, so no handle leaks", "[sqlite]") {
    // Before, journal_mode was checked after sqlite3_open_v2 and the handle leaked (LeakSanitizer
    // in the asan preset reports it).
    CHECK_THROWS_AS(sqlite::session(parse_connection_url("sqlite::memory:?journal_mode=fast")),
                    configuration_error);
    CHECK_THROWS_AS(sqlite::session(parse_connection_url("sqlite::memory:?busy_timeout=soon")),
                    configuration_error);
}

TEST_CASE("An empty blob and empty text are bound as zero-length values, never NULL", "[sqlite]") {
    sqlite::session s(parse_connection_url("sqlite::memory:"));
    const std::vector<param> empty{std::span<const std::byte>(), std::string_view()};
    const auto rows = s.query("SELECT ? IS NULL, ? IS NULL, length(?1), typeof(?1)", empty);
    CHECK(as_integer(rows.at(0).at(0)) == 0);
    CHECK(as_integer(rows.at(0).at(1)) == 0);
    CHECK(as_text(rows.at(0).at(3)) == "blob");
}

TEST_CASE("An insert plan runs its INSERT for every row and returns the key the engine gave",
          "[sqlite][plan]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    const std::string sql = "INSERT INTO t (v) VALUES (?)"; // the core keeps its text in place
    const auto keyed = s.plan_insert(sql, "id");
    const auto unkeyed = s.plan_insert(sql, "");
    const std::vector<param> two{std::int64_t{2}}, three{std::int64_t{3}};
    const auto first = keyed->insert(two);
    CHECK(keyed->insert(three) == first + 1);
    CHECK(unkeyed->insert(two) == 0); // no key column: the key is not asked for
    // The plans' statements are not the session's cached ones: statements by text still work.
    add(s, 4);
    s.commit();
    CHECK(values(s) == std::vector<std::int64_t>{1, 2, 2, 3, 4});
}

TEST_CASE("An insert plan's failure is raised as its error class, and the plan goes on",
          "[sqlite][plan]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    const std::string sql = "INSERT INTO t (id, v) VALUES (?, ?)";
    const auto plan = s.plan_insert(sql, "");
    const std::vector<param> taken{std::int64_t{1}, std::int64_t{5}}; // id 1 holds v = 1
    CHECK_THROWS_AS(plan->insert(taken), integrity_error);
    const std::vector<param> null_value{std::int64_t{9}, nullptr};
    CHECK_THROWS_AS(plan->insert(null_value), integrity_error);
    const std::vector<param> too_few{std::int64_t{9}};
    CHECK_THROWS_AS(plan->insert(too_few), usage_error);
    // Each failed statement was reset: the same plan writes the next row.
    const std::vector<param> fine{std::int64_t{9}, std::int64_t{7}};
    plan->insert(fine);
    s.commit();
    CHECK(values(s) == std::vector<std::int64_t>{1, 7});
}

TEST_CASE("An insert plan for a table that does not exist is refused when it is made",
          "[sqlite][plan]") {
    sqlite::session s(parse_connection_url("sqlite::memory:"));
    const std::string sql = "INSERT INTO missing (v) VALUES (?)";
    CHECK_THROWS_AS(s.plan_insert(sql, "id"), statement_error);
}
