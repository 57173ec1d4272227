// Unit tests of the error taxonomy: the actionable predicates each class answers.
// SPDX-License-Identifier: MIT
#include "lockstep/errors.hpp"

#include "lockstep/spi/raise.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;

TEST_CASE("Only a transaction_conflict is retryable", "[errors]") {
    CHECK(transaction_conflict("x").is_retryable());
    CHECK_FALSE(integrity_error("x", constraint_kind::unique).is_retryable());
    CHECK_FALSE(connection_error("x").is_retryable());
    CHECK_FALSE(commit_outcome_unknown("x").is_retryable());
    CHECK_FALSE(usage_error("x").is_retryable());
}

TEST_CASE("Conflicts and lost connections poison the transaction; constraint failures do not",
          "[errors]") {
    CHECK(transaction_conflict("x").poisons_transaction());
    CHECK(connection_error("x").poisons_transaction());
    CHECK(commit_outcome_unknown("x").poisons_transaction());
    CHECK_FALSE(integrity_error("x", constraint_kind::unique).poisons_transaction());
    CHECK_FALSE(data_error("x").poisons_transaction());
    CHECK(connection_error("x").poisons_connection());
    CHECK_FALSE(transaction_conflict("x").poisons_connection());
}

TEST_CASE("An error keeps the engine's details beside Lockstep's message", "[errors]") {
    const integrity_error e("A row with this key already exists.", constraint_kind::unique,
                            {"sqlite", "23505", 2067, "UNIQUE constraint failed", "INSERT ..."});
    CHECK(std::string(e.what()) == "A row with this key already exists.");
    CHECK(e.engine_name() == "sqlite");
    CHECK(e.sqlstate() == "23505");
    CHECK(e.native_code() == 2067);
    CHECK(e.statement() == "INSERT ...");
    CHECK(e.constraint() == constraint_kind::unique);
    CHECK(std::string(e.kind()) == "integrity_error");
    CHECK(to_string(e.constraint()) == "unique");
}

TEST_CASE("Every error category a backend can choose raises a documented class, never the base",
          "[errors]") {
    using spi::error_category;
    for (const auto category :
         {error_category::integrity, error_category::conflict, error_category::connection,
          error_category::data, error_category::statement, error_category::usage,
          error_category::not_supported, error_category::resource, error_category::other}) {
        try {
            spi::raise({category}, {"x", "", 1, "native", "SELECT 1"});
        } catch (const error& e) {
            INFO(e.what());
            CHECK(std::string(e.kind()) != "error");
            CHECK_THAT(e.what(), Catch::Contains("native"));
        }
    }
}

TEST_CASE("throw_same_class re-raises an error as its own class with a new message", "[errors]") {
    const integrity_error unique("u", constraint_kind::unique, {"pg", "23505", 0, "dup", "I"});
    try {
        throw_same_class(unique, "again");
    } catch (const integrity_error& e) {
        CHECK(std::string(e.what()) == "again");
        CHECK(e.constraint() == constraint_kind::unique);
        CHECK(e.sqlstate() == "23505");
    }
    CHECK_THROWS_AS(throw_same_class(resource_error("full"), "m"), resource_error);
    CHECK_THROWS_AS(throw_same_class(transaction_conflict("c"), "m"), transaction_conflict);
    CHECK_THROWS_AS(throw_same_class(data_error("d"), "m"), data_error);
    CHECK_THROWS_AS(throw_same_class(engine_error("e"), "m"), engine_error);
    CHECK_THROWS_AS(throw_same_class(statement_error("s"), "m"), statement_error);
}
