// Unit tests of the MySQL rules shared by the native and SOCI adapters: the rollback guard.
// SPDX-License-Identifier: MIT
#include "mysql/rules.hpp"

#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace lockstep;

namespace {

// Answers the guard's information_schema question with `engine`, counting the questions.
struct engine_oracle {
    std::string engine;
    int asked = 0;
    mysql::query_function function() {
        return [this](std::string_view, std::span<const param>) {
            ++asked;
            return std::vector<row>{row{value(engine)}};
        };
    }
};

} // namespace

TEST_CASE("Writes to a table that ignores rollback are refused before they are sent",
          "[rules][mysql]") {
    mysql::rollback_guard guard;
    engine_oracle oracle{"MyISAM"};
    CHECK_THROWS_WITH(guard.check("INSERT INTO `log` (`line`) VALUES (?)", oracle.function()),
                      Catch::Contains("MyISAM") && Catch::Contains("ENGINE=InnoDB"));
}

TEST_CASE("A stable statement found safe is not checked again until the guard forgets",
          "[rules][mysql]") {
    mysql::rollback_guard guard;
    engine_oracle oracle{"InnoDB"};
    const std::string stable = "INSERT INTO `author` (`name`) VALUES (?)";
    const std::string other = "INSERT INTO `author` (`name`) VALUES (?)"; // same text, elsewhere
    guard.note_stable(stable);
    CHECK_FALSE(guard.known_safe(stable));
    guard.check(stable, oracle.function());
    CHECK(guard.known_safe(stable));
    CHECK_FALSE(guard.known_safe(other)); // only the promised address is trusted
    CHECK(oracle.asked == 1);
    guard.forget(); // after DDL the table's engine may have changed
    CHECK_FALSE(guard.known_safe(stable));
    oracle.engine = "MyISAM";
    CHECK_THROWS_AS(guard.check(stable, oracle.function()), usage_error);
    CHECK(oracle.asked == 2);
    CHECK_FALSE(guard.known_safe(stable));
}
