// Unit tests of table descriptors: compile-time columns against run-time ones.
// SPDX-License-Identifier: MIT
#include "lockstep/table.hpp"

#include "testing/fake_session.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

using namespace lockstep;

namespace {

struct thing {
    std::int64_t id = 0;
    std::string name{};
    std::optional<std::string> note{};
    bool flag = false;
    double weight = 0;
    blob data{};
    std::optional<std::int64_t> owner{};
};

const table<thing> at_run_time{"thing",
                               {primary_key(&thing::id, "id"),
                                column(&thing::name, "name", max_length(5), unique),
                                column(&thing::note, "note", max_length(3)),
                                column(&thing::flag, "flag"), column(&thing::weight, "weight"),
                                column(&thing::data, "data"), column(&thing::owner, "owner")}};

const table<thing> at_compile_time{"thing",
                                   primary_key<&thing::id>("id"),
                                   column<&thing::name>("name", max_length(5), unique),
                                   column<&thing::note>("note", max_length(3)),
                                   column<&thing::flag>("flag"),
                                   column<&thing::weight>("weight"),
                                   column<&thing::data>("data"),
                                   column<&thing::owner>("owner")};

// What insert_values writes for `m`, one string per value, so two tables can be compared.
std::vector<std::string> gathered(const table<thing>& t, const thing& m, bool with_key) {
    std::vector<param> out(t.columns().size());
    const auto n = t.insert_values(m, out.data(), with_key, true);
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < n; ++i)
        shown.push_back(std::visit(
            [](const auto& v) -> std::string {
                using V = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<V, std::nullptr_t>)
                    return "NULL";
                else if constexpr (std::is_same_v<V, std::string_view>)
                    return "'" + std::string(v) + "'";
                else if constexpr (std::is_same_v<V, std::span<const std::byte>>)
                    return "blob of " + std::to_string(v.size());
                else
                    return std::to_string(v);
            },
            out[i]));
    return shown;
}

} // namespace

TEST_CASE("A table of compile-time columns has the same columns as one declared at run time",
          "[table]") {
    REQUIRE(at_compile_time.columns().size() == at_run_time.columns().size());
    CHECK(at_compile_time.key_index() == at_run_time.key_index());
    for (std::size_t i = 0; i < at_run_time.columns().size(); ++i) {
        const auto& a = at_compile_time.columns()[i];
        const auto& b = at_run_time.columns()[i];
        CHECK(a.name == b.name);
        CHECK(a.type == b.type);
        CHECK(a.nullable == b.nullable);
        CHECK(a.primary_key == b.primary_key);
        CHECK(a.unique == b.unique);
        CHECK(a.max_length == b.max_length);
    }
}

TEST_CASE("A table of compile-time columns gathers the same values as one declared at run time",
          "[table]") {
    thing m{.id = 7,
            .name = "ab",
            .note = std::nullopt,
            .flag = true,
            .weight = 2.5,
            .data = blob(3),
            .owner = 9};
    CHECK(gathered(at_compile_time, m, true) == gathered(at_run_time, m, true));
    CHECK(gathered(at_compile_time, m, false) == gathered(at_run_time, m, false));
    CHECK(gathered(at_compile_time, m, false).size() == 6); // no key
    m.note = "xyz";
    m.owner.reset();
    CHECK(gathered(at_compile_time, m, true) == gathered(at_run_time, m, true));
    CHECK(gathered(at_compile_time, m, true)[2] == "'xyz'");
    CHECK(gathered(at_compile_time, m, true)[6] == "NULL");
    CHECK(at_compile_time.key_of(m) == 7);
    CHECK(at_compile_time.index_of(&thing::weight) == 4);
}

TEST_CASE("A table of compile-time columns refuses the same bad values, naming the column",
          "[table]") {
    for (const auto* t : {&at_compile_time, &at_run_time}) {
        thing too_long{.name = "toolong"};
        CHECK_THROWS_WITH(gathered(*t, too_long, false), Catch::Contains("\"name\""));
        thing bad_note{.name = "a", .note = "four"};
        CHECK_THROWS_WITH(gathered(*t, bad_note, false), Catch::Contains("\"note\""));
        thing not_utf8{.name = "\xff"};
        CHECK_THROWS_AS(gathered(*t, not_utf8, false), data_error);
        thing not_finite{.name = "a", .weight = std::numeric_limits<double>::infinity()};
        CHECK_THROWS_WITH(gathered(*t, not_finite, false), Catch::Contains("\"weight\""));
        CHECK_THROWS_AS(t->check_text_values(not_finite), data_error);
    }
}

TEST_CASE("A compile-time column whose key flag differs from its description is refused",
          "[table]") {
    // Made by hand, not by column<>: typed as the key, described as a plain column.
    const member_column<&thing::name, true> wrong{column<&thing::name>("name").info};
    CHECK_THROWS_AS(table<thing>("thing", primary_key<&thing::id>("id"), wrong), usage_error);
}

TEST_CASE("Compile-time and run-time columns mix in one braced list", "[table]") {
    const table<thing> mixed{"thing",
                             {primary_key<&thing::id>("id"), column(&thing::name, "name"),
                              column<&thing::weight>("weight")}};
    thing m{.id = 3, .name = "n", .weight = 1.5};
    std::vector<param> out(3);
    REQUIRE(mixed.insert_values(m, out.data(), true, true) == 3);
    CHECK(std::get<std::int64_t>(out[0]) == 3);
    CHECK(std::get<std::string_view>(out[1]) == "n");
    CHECK(std::get<double>(out[2]) == 1.5);
}

TEST_CASE("A model write through a table of compile-time columns sends what a run-time table "
          "sends",
          "[table][model]") {
    testing::fake_connection a;
    testing::fake_connection b;
    const thing m{.name = "ab", .data = blob(1)};
    CHECK(a.db.insert(at_compile_time, m).id == b.db.insert(at_run_time, m).id);
    a.db.add(at_compile_time, m);
    b.db.add(at_run_time, m);
    CHECK(a.session->calls() == b.session->calls());
    CHECK(a.session->calls().size() == 2);
}
