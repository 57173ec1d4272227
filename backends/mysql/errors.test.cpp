// Unit test of the MySQL/MariaDB error mapping; needs no server.
// SPDX-License-Identifier: MIT
#include "mysql/errors.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;
using spi::error_category;
using spi::error_class;

TEST_CASE("MySQL constraint errors map to integrity_error with the constraint's kind",
          "[errors][mysql]") {
    CHECK(mysql::classify(1062, "23000") ==
          error_class{error_category::integrity, constraint_kind::unique});
    CHECK(mysql::classify(1451, "23000") ==
          error_class{error_category::integrity, constraint_kind::foreign_key});
    CHECK(mysql::classify(1452, "23000") ==
          error_class{error_category::integrity, constraint_kind::foreign_key});
    CHECK(mysql::classify(1048, "23000") ==
          error_class{error_category::integrity, constraint_kind::not_null});
    CHECK(mysql::classify(4025, "23000") ==
          error_class{error_category::integrity, constraint_kind::check});
    CHECK(mysql::classify(3819, "HY000") ==
          error_class{error_category::integrity, constraint_kind::check});
}

TEST_CASE("Deadlocks and lock wait timeouts map to transaction_conflict", "[errors][mysql]") {
    CHECK(mysql::classify(1213, "40001").category == error_category::conflict);
    CHECK(mysql::classify(1205, "HY000").category == error_category::conflict);
}

TEST_CASE("Lost, killed and refused connections map to connection_error", "[errors][mysql]") {
    for (int code : {2006, 2013, 2055, 1927, 2002, 2003, 1045})
        CHECK(mysql::classify(code, "HY000").category == error_category::connection);
}

TEST_CASE("A Galera node outside the primary component (1047) maps to connection_error",
          "[errors][mysql]") {
    CHECK(mysql::classify(1047, "08S01").category == error_category::connection);
}

TEST_CASE("A write in a read-only transaction (a replica read) maps to usage_error",
          "[errors][mysql]") {
    CHECK(mysql::classify(1792, "25006").category == error_category::usage);
}

TEST_CASE("Data, statement and unsupported errors map to their classes", "[errors][mysql]") {
    CHECK(mysql::classify(1406, "22001").category == error_category::data);
    CHECK(mysql::classify(1366, "22007").category == error_category::data);
    CHECK(mysql::classify(1064, "42000").category == error_category::statement);
    CHECK(mysql::classify(1146, "42S02").category == error_category::statement);
    CHECK(mysql::classify(1305, "42000").category == error_category::statement);
    CHECK(mysql::classify(1295, "HY000").category == error_category::not_supported);
    CHECK(mysql::classify(9999, "23999") ==
          error_class{error_category::integrity, constraint_kind::other});
}

TEST_CASE("Values quoted in MySQL messages are replaced before they reach an error",
          "[errors][mysql]") {
    CHECK(mysql::without_values(1062, "Duplicate entry 'secret' for key 'code'") ==
          "Duplicate entry '***' for key 'code'");
    CHECK(mysql::without_values(1366,
                                "Incorrect string value: '\\xFF' for column `t`.`c` at row 1") ==
          "Incorrect string value: '***' for column `t`.`c` at row 1");
    CHECK(mysql::without_values(1064, "near 'x' at line 1") == "near 'x' at line 1");
    try {
        mysql::raise_error(1062, "23000", "Duplicate entry 'secret' for key 'code'", "INSERT ...");
        FAIL("raise_error returned");
    } catch (const integrity_error& e) {
        CHECK(std::string(e.what()).find("secret") == std::string::npos);
        CHECK(e.native_code() == 1062);
        CHECK(e.sqlstate() == "23000");
    }
}
