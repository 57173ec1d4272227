// Tests of the MySQL session against a real server (LOCKSTEP_MYSQL_URL, from ci/services up);
// exits 77, which ctest reports as skipped, when no server is configured.
// SPDX-License-Identifier: MIT
#include "mysql/session.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>

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
