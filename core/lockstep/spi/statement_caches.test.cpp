// Unit tests of the small pieces backends share to find statements: recent statements by text
// address, parameter signatures, and INSERT ... RETURNING texts.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/parameter_signature.hpp"
#include "lockstep/spi/recent_statements.hpp"
#include "lockstep/spi/returning_sql.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace lockstep;

namespace {
struct entry {
    const std::string* key = nullptr; // the "cache's copy" of the text
    int id = 0;
};
} // namespace

TEST_CASE("A recent statement is found by its text's address and length, not by equal text "
          "elsewhere",
          "[spi][caches]") {
    spi::recent_statements<entry> recent;
    const std::string a = "INSERT INTO a VALUES (?)";
    const std::string copy = a; // same text, another address
    recent.put(a, {&copy, 1});
    REQUIRE(recent.find(a) != nullptr);
    CHECK(recent.find(a)->id == 1);
    CHECK(recent.find(copy) == nullptr);
    CHECK(recent.find(std::string_view(a).substr(0, a.size() - 1)) == nullptr);
    recent.clear();
    CHECK(recent.find(a) == nullptr);
}

TEST_CASE("Text that changed at the same address is not trusted unless it was noted stable",
          "[spi][caches]") {
    const std::string cached = "INSERT INTO a VALUES (?)";
    std::string caller = cached; // a caller's buffer, reused for other text of the same length
    spi::recent_statements<entry> recent;
    recent.put(caller, {&cached, 1});
    CHECK(recent.find(caller) != nullptr);
    caller[12] = 'b';
    CHECK(recent.find(caller) == nullptr); // compared with the cache's copy

    spi::recent_statements<entry> trusting;
    trusting.note_stable(caller);
    trusting.put(caller, {&cached, 2});
    trusting.clear(); // forgets entries, not the promise
    trusting.put(caller, {&cached, 3});
    REQUIRE(trusting.find(caller) != nullptr); // the address alone identifies a stable text
    CHECK(trusting.find(caller)->id == 3);
}

TEST_CASE("Four statements used in turn stay cached together even when they share a set, and "
          "an address that is put again replaces its own entry",
          "[spi][caches]") {
    using cache = spi::recent_statements<entry>;
    // Enough texts that every set holds at least five of them (checked below).
    std::vector<std::string> texts;
    for (int i = 0; i < 400; ++i)
        texts.push_back("SELECT " + std::to_string(i) + " FROM a_table_with_a_long_name");
    std::vector<std::vector<const std::string*>> by_set(cache::set_count);
    for (const auto& t : texts)
        by_set[cache::set_of(t)].push_back(&t);
    for (const auto& same_set : by_set) {
        REQUIRE(same_set.size() >= cache::ways_per_set + 1);
        cache recent;
        const std::vector<const std::string*> cycle(same_set.begin(),
                                                    same_set.begin() + cache::ways_per_set);
        for (std::size_t i = 0; i < cycle.size(); ++i)
            recent.put(*cycle[i], {cycle[i], static_cast<int>(i)});
        for (int round = 0; round < 3; ++round)
            for (std::size_t i = 0; i < cycle.size(); ++i) {
                const auto* found = recent.find(*cycle[i]);
                REQUIRE(found != nullptr);
                CHECK(found->id == static_cast<int>(i));
            }
        recent.put(*cycle[0], {cycle[0], 10}); // same address again: replaces, evicts nothing
        CHECK(recent.find(*cycle[0])->id == 10);
        for (std::size_t i = 1; i < cycle.size(); ++i)
            CHECK(recent.find(*cycle[i]) != nullptr);
        // A fifth text in the set evicts the one first put (a replacement keeps its place).
        const auto& fifth = *same_set[cache::ways_per_set];
        recent.put(fifth, {&fifth, 5});
        CHECK(recent.find(fifth) != nullptr);
        CHECK(recent.find(*cycle[0]) == nullptr);
        for (std::size_t i = 1; i < cycle.size(); ++i)
            CHECK(recent.find(*cycle[i]) != nullptr);
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

TEST_CASE("Parameter lists get the same signature exactly when their lengths and types match, "
          "and lists too long to sign get none",
          "[spi][caches]") {
    const std::array<param, 2> text_and_number{std::string_view("a"), std::int64_t{1}};
    const std::array<param, 2> other_values{std::string_view("b"), std::int64_t{2}};
    const std::array<param, 2> number_and_text{std::int64_t{1}, std::string_view("a")};
    const std::array<param, 2> null_and_number{nullptr, std::int64_t{1}};
    const std::array<param, 3> longer{std::string_view("a"), std::int64_t{1}, nullptr};
    const auto signature = spi::parameter_signature(text_and_number);
    REQUIRE(signature.has_value());
    CHECK(spi::parameter_signature(other_values) == signature);
    CHECK(spi::parameter_signature(number_and_text) != signature);
    CHECK(spi::parameter_signature(null_and_number) != signature);
    CHECK(spi::parameter_signature(longer) != signature);
    CHECK(spi::parameter_signature({}) != spi::parameter_signature(std::array<param, 1>{nullptr}));
    CHECK(*signature >> 63 == 0); // the top bit is left for the caller

    const std::vector<param> most(spi::most_signed_parameters, std::int64_t{1});
    CHECK(spi::parameter_signature(most).has_value());
    const std::vector<param> too_many(spi::most_signed_parameters + 1, std::int64_t{1});
    CHECK_FALSE(spi::parameter_signature(too_many).has_value());
}
