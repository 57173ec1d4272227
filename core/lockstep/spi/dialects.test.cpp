// Unit tests of the dialects' DDL spellings and the engines' capability answers.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/dialects.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;

TEST_CASE("Each dialect spells column types and keys its engine's way", "[dialects]") {
    CHECK(spi::sqlite_dialect().column_type(column_type::text, 100) == "VARCHAR(100)");
    CHECK(spi::sqlite_dialect().column_type(column_type::binary, std::nullopt) == "BLOB");
    CHECK(spi::postgresql_dialect().column_type(column_type::real, std::nullopt) ==
          "DOUBLE PRECISION");
    CHECK(spi::postgresql_dialect().column_type(column_type::text, std::nullopt) == "TEXT");
    CHECK(spi::mysql_dialect().column_type(column_type::text, std::nullopt) == "LONGTEXT");
    CHECK(spi::mysql_dialect().identifier_quote == '`');
    CHECK(std::string(spi::sqlite_dialect().auto_key).starts_with("INTEGER PRIMARY KEY"));
}

TEST_CASE("Engines answer the capability questions that set them apart", "[dialects]") {
    CHECK_FALSE(spi::mysql_features().can_rollback_ddl);
    CHECK(spi::mysql_features().has_non_transactional_tables);
    CHECK(spi::postgresql_features().aborts_transaction_on_error);
    CHECK_FALSE(spi::sqlite_features().supports_concurrent_writers);
    CHECK(spi::sqlite_features().can_rollback_ddl);
}
