// Unit tests of value conversions: what a model member accepts from a driver.
// SPDX-License-Identifier: MIT
#include "lockstep/value.hpp"

#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;

TEST_CASE("Integers, booleans and reals convert where no information is lost", "[value]") {
    CHECK(as_integer(value(std::int64_t{42})) == 42);
    CHECK(as_integer(value(true)) == 1);
    CHECK(as_real(value(std::int64_t{2})) == 2.0);
    CHECK(as_bool(value(std::int64_t{0})) == false);
}

TEST_CASE("Text that is exactly a number is read as that number", "[value]") {
    CHECK(as_integer(value(std::string("-17"))) == -17);
    CHECK(as_real(value(std::string("2.5"))) == 2.5);
    CHECK(as_bool(value(std::string("t"))));
    CHECK_FALSE(as_bool(value(std::string("0"))));
    CHECK_THROWS_AS(as_integer(value(std::string("17 apples"))), data_error);
    CHECK_THROWS_AS(as_integer(value(std::string(""))), data_error);
    CHECK_THROWS_AS(as_bool(value(std::string("yes please"))), data_error);
}

TEST_CASE("NULL never converts to a number or text", "[value]") {
    CHECK_THROWS_AS(as_integer(value()), data_error);
    CHECK_THROWS_AS(as_text(value()), data_error);
}

TEST_CASE("Isolation levels parse in any spelling and refuse unknown ones", "[value]") {
    CHECK(parse_isolation_level("READ COMMITTED") == isolation_level::read_committed);
    CHECK(parse_isolation_level("repeatable-read") == isolation_level::repeatable_read);
    CHECK_THROWS_AS(parse_isolation_level("snapshot"), configuration_error);
}
