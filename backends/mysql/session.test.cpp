// Tests of the MySQL session against a real server (LOCKSTEP_MYSQL_URL, from ci/services up);
// exits 77, which ctest reports as skipped, when no server is configured.
// SPDX-License-Identifier: MIT
#include "mysql/session.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using namespace lockstep;

namespace {

mysql::session open_session() {
    return mysql::session(parse_connection_url(std::getenv("LOCKSTEP_MYSQL_URL")));
}

} // namespace

TEST_CASE("A statement that commits implicitly inside a transaction is noticed and raised",
          "[mysql][server]") {
    auto s = open_session();
    s.execute("DROP TABLE IF EXISTS lockstep_implicit", {});
    s.execute("CREATE TABLE lockstep_implicit (a INT) ENGINE=InnoDB", {});
    s.begin(isolation_level::engine_default);
    s.execute("INSERT INTO lockstep_implicit VALUES (1)", {});
    // ANALYZE TABLE is not DDL to the core's classifier, yet MySQL commits around it.
    try {
        s.query("ANALYZE TABLE lockstep_implicit", {});
        FAIL("the implicit commit went unnoticed");
    } catch (const usage_error& e) {
        CHECK(e.engine_name() == "mysql"); // it reached the engine: the core must end the block
        CHECK_THAT(e.what(), Catch::Contains("implicitly"));
    }
    CHECK_FALSE(s.in_transaction());
    s.execute("DROP TABLE lockstep_implicit", {});
}

TEST_CASE("A write inside a transaction to a MyISAM table is refused before it is sent",
          "[mysql][server]") {
    auto s = open_session();
    s.execute("DROP TABLE IF EXISTS lockstep_myisam", {});
    s.execute("CREATE TABLE lockstep_myisam (a INT) ENGINE=MyISAM", {});
    s.execute("INSERT INTO lockstep_myisam VALUES (1)", {}); // outside a transaction: fine
    s.begin(isolation_level::engine_default);
    try {
        s.execute("INSERT INTO `lockstep_myisam` VALUES (2)", {});
        FAIL("the write was sent");
    } catch (const usage_error& e) {
        CHECK(e.engine_name().empty()); // refused before sending
        CHECK_THAT(e.what(), Catch::Contains("MyISAM"));
    }
    s.rollback();
    CHECK(s.query("SELECT COUNT(*) FROM lockstep_myisam", {}).at(0).at(0) ==
          value(std::int64_t{1}));
    s.execute("DROP TABLE lockstep_myisam", {});
}

namespace {

// A fresh InnoDB table lockstep_plan (id, v, note) holding one row, id 1.
void make_plan_table(mysql::session& s) {
    s.execute("DROP TABLE IF EXISTS lockstep_plan", {});
    s.execute("CREATE TABLE lockstep_plan (id BIGINT AUTO_INCREMENT PRIMARY KEY, v BIGINT, "
              "note VARCHAR(20)) ENGINE=InnoDB",
              {});
    s.execute("INSERT INTO lockstep_plan (v) VALUES (1)", {});
}

std::int64_t plan_rows(mysql::session& s) {
    return as_integer(s.query("SELECT COUNT(*) FROM lockstep_plan", {}).at(0).at(0));
}

} // namespace

TEST_CASE("A MySQL insert plan returns each row's generated key, and 0 when no key is asked for",
          "[mysql][server][plan]") {
    auto s = open_session();
    make_plan_table(s);
    const std::string sql = "INSERT INTO lockstep_plan (v, note) VALUES (?, ?)"; // kept in place
    const auto keyed = s.plan_insert(sql, "id");
    const auto unkeyed = s.plan_insert(sql, "");
    const std::vector<param> two{std::int64_t{2}, std::string_view("two")};
    s.begin(isolation_level::engine_default);
    CHECK(keyed->insert(two) == 2);
    CHECK(keyed->insert(two) == 3);
    CHECK(unkeyed->insert(two) == 0); // the key is not asked for
    CHECK(keyed->insert(two) == 5);
    s.commit();
    CHECK(plan_rows(s) == 5);
    s.execute("DROP TABLE lockstep_plan", {});
}

TEST_CASE("A MySQL insert plan's failure is raised as its error class, and the plan goes on",
          "[mysql][server][plan]") {
    auto s = open_session();
    make_plan_table(s);
    const std::string sql = "INSERT INTO lockstep_plan (id, v) VALUES (?, ?)";
    const auto plan = s.plan_insert(sql, "");
    CHECK_THROWS_AS(plan->insert(std::vector<param>{std::int64_t{1}, std::int64_t{5}}),
                    integrity_error); // id 1 is taken
    CHECK_THROWS_AS(
        plan->insert(std::vector<param>{std::int64_t{9}, std::int64_t{1}, std::int64_t{2}}),
        usage_error);                                                   // one value too many
    plan->insert(std::vector<param>{std::int64_t{9}, std::int64_t{7}}); // prepared afresh
    CHECK(plan_rows(s) == 2);
    s.execute("DROP TABLE lockstep_plan", {});
}

TEST_CASE("A MySQL insert plan refuses a write to a MyISAM table inside a transaction before it "
          "is sent",
          "[mysql][server][plan]") {
    auto s = open_session();
    s.execute("DROP TABLE IF EXISTS lockstep_plan_myisam", {});
    s.execute("CREATE TABLE lockstep_plan_myisam (id BIGINT AUTO_INCREMENT PRIMARY KEY, v BIGINT) "
              "ENGINE=MyISAM",
              {});
    const std::string sql = "INSERT INTO lockstep_plan_myisam (v) VALUES (?)";
    const auto plan = s.plan_insert(sql, "id");
    CHECK(plan->insert(std::vector<param>{std::int64_t{1}}) == 1); // outside a transaction
    s.begin(isolation_level::engine_default);
    try {
        plan->insert(std::vector<param>{std::int64_t{2}});
        FAIL("the write was sent");
    } catch (const usage_error& e) {
        CHECK(e.engine_name().empty()); // refused before sending (semantics 5.2)
        CHECK_THAT(e.what(), Catch::Contains("MyISAM"));
    }
    s.rollback();
    CHECK(s.query("SELECT COUNT(*) FROM lockstep_plan_myisam", {}).at(0).at(0) ==
          value(std::int64_t{1}));
    s.execute("DROP TABLE lockstep_plan_myisam", {});
}

TEST_CASE("A MySQL insert plan for a table that does not exist fails at its first row, as its "
          "class, and works once the table is there",
          "[mysql][server][plan]") {
    auto s = open_session();
    s.execute("DROP TABLE IF EXISTS lockstep_plan", {});
    const std::string sql = "INSERT INTO lockstep_plan (v) VALUES (?)";
    const auto plan = s.plan_insert(sql, "id");
    CHECK_THROWS_AS(plan->insert(std::vector<param>{std::int64_t{1}}), statement_error);
    make_plan_table(s);
    CHECK(plan->insert(std::vector<param>{std::int64_t{2}}) == 2);
    s.execute("DROP TABLE lockstep_plan", {});
}

TEST_CASE("Sessions run in strict mode with auto-reconnect off", "[mysql][server]") {
    auto s = open_session();
    const auto mode = as_text(s.query("SELECT @@SESSION.sql_mode", {}).at(0).at(0));
    CHECK_THAT(mode, Catch::Contains("STRICT_ALL_TABLES"));
    CHECK(as_text(s.query("SELECT @@character_set_client", {}).at(0).at(0)) == "utf8mb4");
}

TEST_CASE("A wrong password is a connection_error whose message hides the password",
          "[mysql][server]") {
    auto url = parse_connection_url(std::getenv("LOCKSTEP_MYSQL_URL"));
    url.password = "wrong-password-1234";
    try {
        mysql::session s(url);
        FAIL("the login succeeded");
    } catch (const connection_error& e) {
        CHECK(std::string(e.what()).find("wrong-password-1234") == std::string::npos);
    }
}

// Read by the shared test runner (tools/catch_main.cpp): without a server, skip.
extern const char* const lockstep_required_url_variable;
const char* const lockstep_required_url_variable = "LOCKSTEP_MYSQL_URL";
