// Unit tests of the small caches backends share: recent statements by text address, and
// INSERT ... RETURNING texts.
#include "lockstep/spi/recent_statements.hpp"
#include "lockstep/spi/returning_sql.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace lockstep;

namespace {
struct entry {
    const char* text = nullptr;
    std::size_t size = 0;
    int id = 0;
};
} // namespace

TEST_CASE("A recent statement is found by its text's address and length, not its content",
          "[spi][caches]") {
    spi::recent_statements<entry> recent;
    const std::string a = "INSERT INTO a VALUES (?)";
    const std::string copy = a; // same text, another address
    recent.put({a.data(), a.size(), 1});
    REQUIRE(recent.find(a.data(), a.size()) != nullptr);
    CHECK(recent.find(a.data(), a.size())->id == 1);
    CHECK(recent.find(copy.data(), copy.size()) == nullptr);
    CHECK(recent.find(a.data(), a.size() - 1) == nullptr);
    recent.clear();
    CHECK(recent.find(a.data(), a.size()) == nullptr);
}

TEST_CASE("Two statements used in turn stay cached together, and an address that is put again "
          "replaces its own entry",
          "[spi][caches]") {
    // Many texts, so that some share a set: within a set the two most recent stay.
    std::vector<std::string> texts;
    for (int i = 0; i < 64; ++i)
        texts.push_back("SELECT " + std::to_string(i) + " FROM a_table_with_a_long_name");
    for (std::size_t i = 0; i + 1 < texts.size(); ++i) {
        spi::recent_statements<entry> recent;
        const auto& x = texts[i];
        const auto& y = texts[i + 1];
        recent.put({x.data(), x.size(), 1});
        recent.put({y.data(), y.size(), 2});
        for (int round = 0; round < 3; ++round) {
            REQUIRE(recent.find(x.data(), x.size()) != nullptr);
            REQUIRE(recent.find(y.data(), y.size()) != nullptr);
        }
        recent.put({x.data(), x.size(), 3}); // same address again: replaces, evicts nothing
        CHECK(recent.find(x.data(), x.size())->id == 3);
        CHECK(recent.find(y.data(), y.size())->id == 2);
    }
}

TEST_CASE("An INSERT's RETURNING text is built once per text and key column", "[spi][caches]") {
    spi::returning_sql_cache cache;
    int quoted = 0;
    const auto quote = [&](std::string_view c) {
        ++quoted;
        return "\"" + std::string(c) + "\"";
    };
    const std::string insert = "INSERT INTO t (x) VALUES (?)";
    const auto& first = cache.text(insert, "id", quote);
    CHECK(first == "INSERT INTO t (x) VALUES (?) RETURNING \"id\"");
    const auto& again = cache.text(insert, "id", quote);
    CHECK(&again == &first); // the same string, not rebuilt
    CHECK(quoted == 1);
    CHECK(cache.text(insert, "key", quote) == "INSERT INTO t (x) VALUES (?) RETURNING \"key\"");
    CHECK(quoted == 2);
}
