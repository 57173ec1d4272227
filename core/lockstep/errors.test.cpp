// Unit tests of the error taxonomy: the actionable predicates each class answers.
#include "lockstep/errors.hpp"

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
