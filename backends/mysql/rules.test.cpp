// Unit tests of the MySQL rules shared by the native and SOCI adapters: the rollback guard.
// SPDX-License-Identifier: MIT
#include "mysql/rules.hpp"

#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace lockstep;

namespace {

// Answers the guard's information_schema question with `engine` and whether the table has a
// primary key, counting the questions.
struct engine_oracle {
    std::string engine;
    bool has_key = true;
    int asked = 0;
    mysql::query_function function() {
        return [this](std::string_view, std::span<const param>) {
            ++asked;
            return std::vector<row>{row{value(engine), value(std::int64_t{has_key ? 1 : 0})}};
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

TEST_CASE("On a Galera node, writes to a table that is not replicated or has no primary key are "
          "refused",
          "[rules][mysql]") {
    const std::string insert = "INSERT INTO `log` (`line`) VALUES (?)";
    {
        mysql::rollback_guard guard;
        engine_oracle oracle{"MyISAM"};
        CHECK_THROWS_WITH(guard.check(insert, oracle.function(), true),
                          Catch::Contains("does not replicate") && Catch::Contains("InnoDB"));
    }
    {
        mysql::rollback_guard guard;
        engine_oracle oracle{"InnoDB", false};
        CHECK_THROWS_WITH(guard.check(insert, oracle.function(), true),
                          Catch::Contains("no primary key"));
        CHECK_NOTHROW(guard.check(insert, oracle.function(), false)); // one server: fine
    }
}

TEST_CASE("On a Galera node, LOCK TABLES and the named-lock functions are refused, and text "
          "that only mentions them is not",
          "[rules][mysql]") {
    CHECK_THROWS_AS(mysql::refuse_galera_traps("LOCK TABLES t WRITE"), usage_error);
    CHECK_THROWS_AS(mysql::refuse_galera_traps("lock table t read"), usage_error);
    CHECK_THROWS_WITH(mysql::refuse_galera_traps("SELECT GET_LOCK('job', 5)"),
                      Catch::Contains("GET_LOCK") && Catch::Contains("one Galera node"));
    CHECK_THROWS_AS(mysql::refuse_galera_traps("SELECT release_lock('job')"), usage_error);
    CHECK_NOTHROW(mysql::refuse_galera_traps("SELECT 'GET_LOCK(1)', `lock` FROM t"));
    CHECK_NOTHROW(mysql::refuse_galera_traps("UNLOCK TABLES"));
}
