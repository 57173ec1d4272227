// Unit test of the PostgreSQL error mapping; needs no server.
// SPDX-License-Identifier: MIT
#include "postgresql/errors.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;
using spi::error_category;
using spi::error_class;

TEST_CASE("Integrity SQLSTATEs map to integrity_error with the constraint's kind",
          "[errors][postgresql]") {
    CHECK(postgresql::classify("23505") ==
          error_class{error_category::integrity, constraint_kind::unique});
    CHECK(postgresql::classify("23503") ==
          error_class{error_category::integrity, constraint_kind::foreign_key});
    CHECK(postgresql::classify("23502") ==
          error_class{error_category::integrity, constraint_kind::not_null});
    CHECK(postgresql::classify("23514") ==
          error_class{error_category::integrity, constraint_kind::check});
    CHECK(postgresql::classify("23P01") ==
          error_class{error_category::integrity, constraint_kind::other});
}

TEST_CASE("Serialization failures, deadlocks and lock timeouts map to transaction_conflict",
          "[errors][postgresql]") {
    for (const char* state : {"40001", "40P01", "55P03"})
        CHECK(postgresql::classify(state).category == error_category::conflict);
}

TEST_CASE("Lost connections map to connection_error, with or without a SQLSTATE",
          "[errors][postgresql]") {
    for (const char* state : {"", "08006", "08001", "57P01", "28P01"})
        CHECK(postgresql::classify(state).category == error_category::connection);
}

TEST_CASE("Data, statement, usage and unsupported SQLSTATEs map to their classes",
          "[errors][postgresql]") {
    CHECK(postgresql::classify("22001").category == error_category::data);
    CHECK(postgresql::classify("22021").category == error_category::data);
    CHECK(postgresql::classify("42601").category == error_category::statement);
    CHECK(postgresql::classify("42P01").category == error_category::statement);
    CHECK(postgresql::classify("25P02").category == error_category::usage);
    CHECK(postgresql::classify("25006").category == error_category::usage);
    CHECK(postgresql::classify("0A000").category == error_category::not_supported);
    CHECK(postgresql::classify("53100").category == error_category::resource);
    CHECK(postgresql::classify("53200").category == error_category::resource);
    CHECK(postgresql::classify("54000").category == error_category::data);
    CHECK(postgresql::classify("XX000").category == error_category::other);
}

TEST_CASE("A raised PostgreSQL error carries its SQLSTATE and statement", "[errors][postgresql]") {
    try {
        postgresql::raise_error("23505", "duplicate key value violates unique constraint \"u\"",
                                "INSERT INTO t (a) VALUES ($1)");
        FAIL("raise_error returned");
    } catch (const integrity_error& e) {
        CHECK(e.sqlstate() == "23505");
        CHECK(e.engine_name() == "postgresql");
        CHECK(e.statement() == "INSERT INTO t (a) VALUES ($1)");
    }
}
