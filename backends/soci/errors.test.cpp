// Unit test of SOCI error translation; needs no database.
// SPDX-License-Identifier: MIT
#include "soci/errors.hpp"

#include <catch2/catch.hpp>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sqlite3.h>

using namespace lockstep;

TEST_CASE("SOCI's categories map to Lockstep's classes when no native code is known",
          "[errors][soci]") {
    using spi::error_category;
    CHECK(lockstep::soci::classify_category(::soci::soci_error::connection_error).category ==
          error_category::connection);
    CHECK(lockstep::soci::classify_category(::soci::soci_error::constraint_violation).category ==
          error_category::integrity);
    CHECK(lockstep::soci::classify_category(::soci::soci_error::invalid_statement).category ==
          error_category::statement);
    CHECK(lockstep::soci::classify_category(::soci::soci_error::unknown).category ==
          error_category::other);
}

TEST_CASE("A SOCI MySQL error is translated by its error number, without its values",
          "[errors][soci]") {
    const ::soci::mysql_soci_error e("Duplicate entry 'secret' for key 'code'", 1062);
    try {
        lockstep::soci::raise_error(e, "mysql", "INSERT ...");
        FAIL("raise_error returned");
    } catch (const integrity_error& error) {
        CHECK(error.constraint() == constraint_kind::unique);
        CHECK(std::string(error.what()).find("secret") == std::string::npos);
    }
}

TEST_CASE("A SOCI SQLite error is translated by its result code and message", "[errors][soci]") {
    const ::soci::sqlite3_soci_error e("FOREIGN KEY constraint failed", SQLITE_CONSTRAINT);
    CHECK_THROWS_MATCHES(lockstep::soci::raise_error(e, "sqlite", "DELETE ..."), integrity_error,
                         Catch::Predicate<integrity_error>([](const integrity_error& error) {
                             return error.constraint() == constraint_kind::foreign_key;
                         }));
}
