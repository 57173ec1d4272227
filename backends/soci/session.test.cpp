// Tests of the SOCI session's insert plans, through SOCI's SQLite backend on an in-memory
// database (no server needed).
// SPDX-License-Identifier: MIT
#include "soci/session.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

using namespace lockstep;

namespace {

/// A SOCI session on a fresh in-memory table t(id, v, note), inside a transaction holding the
/// row id 1, v = 1.
std::unique_ptr<lockstep::soci::session> open_in_transaction() {
    auto s =
        std::make_unique<lockstep::soci::session>(parse_connection_url("soci+sqlite3://:memory:"));
    s->execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, note TEXT)", {});
    s->begin(isolation_level::engine_default);
    const std::vector<param> first{std::int64_t{1}};
    s->execute("INSERT INTO t (v) VALUES (?)", first);
    return s;
}

/// Every row as "v/note", with "-" for a null note, in key order.
std::vector<std::string> rows(lockstep::soci::session& s) {
    std::vector<std::string> out;
    for (const auto& r : s.query("SELECT v, note FROM t ORDER BY id", {}))
        out.push_back(std::to_string(as_integer(r.at(0))) + "/" +
                      (is_null(r.at(1)) ? std::string("-") : as_text(r.at(1))));
    return out;
}

} // namespace

TEST_CASE("A SOCI insert plan writes every row and returns the key the engine gave",
          "[soci][plan]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    const std::string sql =
        "INSERT INTO t (v, note) VALUES (?, ?)"; // kept in place, as the core does
    const auto keyed = s.plan_insert(sql, "id");
    const auto unkeyed = s.plan_insert(sql, "");
    const std::vector<param> two{std::int64_t{2}, std::string_view("two")};
    const std::vector<param> three{std::int64_t{3}, std::string_view("three")};
    CHECK(keyed->insert(two) == 2);
    CHECK(keyed->insert(three) == 3);
    CHECK(unkeyed->insert(two) == 0); // no key column: the key is not asked for
    s.commit();
    CHECK(rows(s) == std::vector<std::string>{"1/-", "2/two", "3/three", "2/two"});
}

TEST_CASE("A SOCI insert plan writes a row whose values have other types than its first",
          "[soci][plan]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    const std::string sql = "INSERT INTO t (v, note) VALUES (?, ?)";
    const auto plan = s.plan_insert(sql, "id");
    const std::vector<param> text{std::int64_t{2}, std::string_view("a")};
    const std::vector<param> null_note{std::int64_t{3}, nullptr};
    CHECK(plan->insert(text) == 2);
    CHECK(plan->insert(null_note) == 3); // through the session's cache
    CHECK(plan->insert(text) == 4);      // and back to the plan's own statement
    s.commit();
    CHECK(rows(s) == std::vector<std::string>{"1/-", "2/a", "3/-", "2/a"});
}

TEST_CASE("A SOCI insert plan's failure is raised as its error class, and the plan goes on",
          "[soci][plan]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    const std::string sql = "INSERT INTO t (id, v) VALUES (?, ?)";
    const auto plan = s.plan_insert(sql, "");
    const std::vector<param> taken{std::int64_t{1}, std::int64_t{5}}; // id 1 is taken
    CHECK_THROWS_AS(plan->insert(taken), integrity_error);
    const std::vector<param> too_few{std::int64_t{9}};
    CHECK_THROWS_AS(plan->insert(too_few), usage_error);
    // The failed statement was dropped and is prepared afresh for the next row.
    const std::vector<param> fine{std::int64_t{9}, std::int64_t{7}};
    plan->insert(fine);
    s.commit();
    CHECK(rows(s) == std::vector<std::string>{"1/-", "7/-"});
}

TEST_CASE("A SOCI insert plan for a table that does not exist fails at its first row, as its "
          "class",
          "[soci][plan]") {
    lockstep::soci::session s(parse_connection_url("soci+sqlite3://:memory:"));
    const std::string sql = "INSERT INTO missing (v) VALUES (?)";
    const auto plan = s.plan_insert(sql, "id");
    const std::vector<param> one{std::int64_t{1}};
    CHECK_THROWS_AS(plan->insert(one), statement_error);
    s.execute("CREATE TABLE missing (id INTEGER PRIMARY KEY, v INTEGER)", {});
    CHECK(plan->insert(one) == 1); // made again once the table exists
}

TEST_CASE("SOCI savepoints reused by name undo exactly the work after them, and a failed one "
          "is raised without harming the next",
          "[soci][savepoints]") {
    auto owner = open_in_transaction();
    auto& s = *owner;
    const std::string sql = "INSERT INTO t (v) VALUES (?)";
    const auto plan = s.plan_insert(sql, "");
    const auto add = [&](std::int64_t v) {
        const std::vector<param> value{v};
        plan->insert(value);
    };
    // The core's names, one per depth, over and over: each statement is prepared once.
    for (std::int64_t i = 2; i < 8; ++i) {
        s.create_savepoint("ls1");
        add(i);
        s.create_savepoint("ls2");
        add(10 * i);
        s.rollback_to_savepoint("ls2"); // drops 10 * i only
        s.release_savepoint("ls2");
        if (i % 2 == 1)
            s.rollback_to_savepoint("ls1"); // drops i as well
        s.release_savepoint("ls1");
    }
    CHECK_THROWS_WITH(s.release_savepoint("ls9"), Catch::Contains("ls9")); // never created
    s.create_savepoint("ls9"); // the failed statement was dropped; the name works now
    s.release_savepoint("ls9");
    s.commit();
    CHECK(rows(s) == std::vector<std::string>{"1/-", "2/-", "4/-", "6/-"});
}
