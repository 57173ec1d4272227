// Unit test of the SQLite error mapping; needs no database.
// SPDX-License-Identifier: MIT
#include "sqlite/errors.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

using namespace lockstep;
using spi::error_category;
using spi::error_class;

TEST_CASE("SQLite constraint codes map to integrity_error with the constraint's kind",
          "[errors][sqlite]") {
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_UNIQUE) ==
          error_class{error_category::integrity, constraint_kind::unique});
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_PRIMARYKEY) ==
          error_class{error_category::integrity, constraint_kind::unique});
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_FOREIGNKEY) ==
          error_class{error_category::integrity, constraint_kind::foreign_key});
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_NOTNULL) ==
          error_class{error_category::integrity, constraint_kind::not_null});
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_CHECK) ==
          error_class{error_category::integrity, constraint_kind::check});
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_TRIGGER) ==
          error_class{error_category::integrity, constraint_kind::other});
    // Without extended codes, the message names the constraint.
    CHECK(sqlite::classify(SQLITE_CONSTRAINT, "UNIQUE constraint failed: t.a") ==
          error_class{error_category::integrity, constraint_kind::unique});
    CHECK(sqlite::classify(SQLITE_CONSTRAINT, "NOT NULL constraint failed: t.a") ==
          error_class{error_category::integrity, constraint_kind::not_null});
    // ON DELETE RESTRICT reports the trigger code with the foreign-key message.
    CHECK(sqlite::classify(SQLITE_CONSTRAINT_TRIGGER, "FOREIGN KEY constraint failed") ==
          error_class{error_category::integrity, constraint_kind::foreign_key});
}

TEST_CASE("SQLite busy and locked codes map to transaction_conflict", "[errors][sqlite]") {
    CHECK(sqlite::classify(SQLITE_BUSY).category == error_category::conflict);
    CHECK(sqlite::classify(SQLITE_BUSY_SNAPSHOT).category == error_category::conflict);
    CHECK(sqlite::classify(SQLITE_LOCKED).category == error_category::conflict);
}

TEST_CASE("SQLite file and I/O failures map to connection_error", "[errors][sqlite]") {
    CHECK(sqlite::classify(SQLITE_CANTOPEN).category == error_category::connection);
    CHECK(sqlite::classify(SQLITE_IOERR_READ).category == error_category::connection);
}

TEST_CASE("A damaged SQLite file is an engine_error that names the file and advises a backup",
          "[errors][sqlite]") {
    CHECK(sqlite::classify(SQLITE_NOTADB).category == error_category::other);
    CHECK(sqlite::classify(SQLITE_CORRUPT).category == error_category::other);
    try {
        sqlite::raise_error(SQLITE_NOTADB, "file is not a database", "SELECT 1", "/tmp/x.db");
        FAIL("raise_error returned");
    } catch (const engine_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("/tmp/x.db") && Catch::Contains("backup") &&
                                 !Catch::Contains("open a new one"));
    }
}

TEST_CASE("A read-only SQLite file is reported as such, with the file, not as a syntax error",
          "[errors][sqlite]") {
    try {
        sqlite::raise_error(SQLITE_READONLY, "attempt to write a readonly database",
                            "INSERT INTO t DEFAULT VALUES", "/data/app.db");
        FAIL("raise_error returned");
    } catch (const statement_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("read-only") && Catch::Contains("/data/app.db") &&
                                 !Catch::Contains("syntax"));
    }
}

TEST_CASE("SQLite disk full and out of memory map to resource_error", "[errors][sqlite]") {
    CHECK(sqlite::classify(SQLITE_FULL).category == error_category::resource);
    CHECK(sqlite::classify(SQLITE_NOMEM).category == error_category::resource);
    CHECK(sqlite::classify(SQLITE_IOERR_NOMEM).category == error_category::resource);
    CHECK_THROWS_AS(sqlite::raise_error(SQLITE_FULL, "database or disk is full", "INSERT"),
                    resource_error);
}

TEST_CASE("SQLite statement, data and misuse codes map to their classes", "[errors][sqlite]") {
    CHECK(sqlite::classify(SQLITE_ERROR).category == error_category::statement);
    CHECK(sqlite::classify(SQLITE_READONLY).category == error_category::statement);
    CHECK(sqlite::classify(SQLITE_TOOBIG).category == error_category::data);
    CHECK(sqlite::classify(SQLITE_MISUSE).category == error_category::usage);
}

TEST_CASE("A raised SQLite error carries the code, message and statement but no values",
          "[errors][sqlite]") {
    try {
        sqlite::raise_error(SQLITE_CONSTRAINT_UNIQUE, "UNIQUE constraint failed: t.a",
                            "INSERT INTO t (a) VALUES (?)");
        FAIL("raise_error returned");
    } catch (const integrity_error& e) {
        CHECK(e.constraint() == constraint_kind::unique);
        CHECK(e.native_code() == SQLITE_CONSTRAINT_UNIQUE);
        CHECK(e.engine_name() == "sqlite");
        CHECK(e.statement() == "INSERT INTO t (a) VALUES (?)");
        CHECK_THAT(e.what(), Catch::Contains("UNIQUE constraint failed"));
    }
}
