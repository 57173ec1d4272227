// Unit tests of the savepoint statements a backend holds: found by name and by stack index.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/savepoint_statements.hpp"

#include <catch2/catch.hpp>

using lockstep::spi::savepoint_statements;
using lockstep::spi::savepoint_step;

TEST_CASE("A savepoint's statements found by stack index are those found by its name",
          "[savepoints]") {
    savepoint_statements<int> s;
    auto& by_name = s.find("ls1", savepoint_step::release);
    by_name.handle = 7;
    auto& by_index = s.at_index(1, "ls1", savepoint_step::release);
    CHECK(&by_index == &by_name);
    CHECK(by_index.handle == 7);
    CHECK(by_index.text == "RELEASE SAVEPOINT ls1");
    CHECK(s.at_index(1, "ls1", savepoint_step::create).text == "SAVEPOINT ls1");
    CHECK(s.at_index(1, "ls1", savepoint_step::rollback_to).text == "ROLLBACK TO SAVEPOINT ls1");
}

TEST_CASE("A stack index met first adds its savepoint's texts, and later finds them by name",
          "[savepoints]") {
    savepoint_statements<int> s;
    auto& deep = s.at_index(3, "ls3", savepoint_step::create);
    CHECK(deep.text == "SAVEPOINT ls3");
    CHECK(deep.handle == 0);
    deep.handle = 5;
    CHECK(&s.find("ls3", savepoint_step::create) == &deep);
    CHECK(s.at_index(1, "ls1", savepoint_step::create).text == "SAVEPOINT ls1");
    CHECK(&s.at_index(3, "ls3", savepoint_step::create) == &deep);
}

TEST_CASE("Clearing the savepoint statements forgets their handles by name and by index",
          "[savepoints]") {
    savepoint_statements<int> s;
    s.at_index(1, "ls1", savepoint_step::create).handle = 9;
    s.clear();
    CHECK(s.at_index(1, "ls1", savepoint_step::create).handle == 0);
    CHECK(s.find("ls1", savepoint_step::create).handle == 0);
}
