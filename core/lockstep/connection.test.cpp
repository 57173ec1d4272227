// Unit tests of the model layer's SPI call sequences: a write and its signals as one unit.
// SPDX-License-Identifier: MIT
#include "lockstep/atomic.hpp"
#include "lockstep/savepoint.hpp"
#include "testing/fake_session.hpp"

#include <catch2/catch.hpp>

using namespace lockstep;
using calls = std::vector<std::string>;

namespace {

struct item {
    std::int64_t id = 0;
    std::string name;
    std::optional<std::int64_t> parent{};
};

const table<item> items{"item",
                        {primary_key(&item::id, "id"), column(&item::name, "name", max_length(5)),
                         column(&item::parent, "parent")}};

} // namespace

TEST_CASE("A write with no receivers is one statement and opens no transaction", "[model]") {
    testing::fake_connection f;
    const auto saved_item = f.db.insert(items, item{.name = "a"});
    CHECK(saved_item.id == 1);
    CHECK(f.session->calls() ==
          calls{"insert INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)"});
}

TEST_CASE("A table's INSERT is planned once per connection and kind, then reused for every row",
          "[model]") {
    testing::fake_connection f;
    for (int i = 0; i < 3; ++i)
        f.db.insert(items, item{.name = "a"}); // the engine gives the key, which is read back
    CHECK(f.session->plans_made() == 1);
    f.db.add(items, item{.name = "b"});              // the key is not read back
    f.db.insert(items, item{.id = 40, .name = "c"}); // a key of its own: every column
    f.db.add(items, item{.id = 41, .name = "d"});    // the same statement as the last
    CHECK(f.session->plans_made() == 3);
    const std::string generated = "INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)";
    const std::string given =
        "INSERT INTO \"item\" (\"id\", \"name\", \"parent\") VALUES (?, ?, ?)";
    CHECK(f.session->calls() == calls{"insert " + generated, "insert " + generated,
                                      "insert " + generated, "insert (no key) " + generated,
                                      "insert (no key) " + given, "insert (no key) " + given});
    testing::fake_connection other; // plans belong to their connection
    other.db.insert(items, item{.name = "e"});
    CHECK(other.session->plans_made() == 1);
}

TEST_CASE("Outside a block a write with receivers runs in its own transaction", "[model]") {
    testing::fake_connection f;
    auto sub = post_save.connect(items, [](const saved<item>&) {});
    f.db.insert(items, item{.name = "a"});
    CHECK(f.session->calls() ==
          calls{"begin", "insert INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)",
                "commit"});
}

TEST_CASE("A receiver's exception outside a block rolls the write's transaction back", "[model]") {
    testing::fake_connection f;
    auto sub = post_save.connect(items, [](const saved<item>&) { throw std::runtime_error("r"); });
    CHECK_THROWS_AS(f.db.insert(items, item{.name = "a"}), std::runtime_error);
    CHECK(f.session->calls().back() == "rollback");
}

TEST_CASE("Inside a block a write joins the caller's transaction without a savepoint", "[model]") {
    testing::fake_connection f;
    auto sub = post_save.connect(items, [](const saved<item>&) {});
    atomic(f.db, [&] { f.db.insert(items, item{.name = "a"}); });
    CHECK(f.session->calls() ==
          calls{"begin", "insert INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)",
                "commit"});
}

TEST_CASE("Inside a block a receiver's exception marks the caller's block for rollback and a "
          "savepoint the receiver left open closes with the write",
          "[model]") {
    testing::fake_connection f;
    std::optional<savepoint> left_open;
    bool fail = false;
    auto sub = post_save.connect(items, [&](const saved<item>& e) {
        if (fail)
            throw std::runtime_error("receiver");
        left_open.emplace(e.db);
    });
    atomic(f.db, [&] {
        f.db.insert(items, item{.name = "a"});
        CHECK_FALSE(left_open->is_open()); // it became part of the caller's block
        CHECK_FALSE(get_rollback(f.db));
        fail = true;
        CHECK_THROWS_AS(f.db.insert(items, item{.name = "b"}), std::runtime_error);
        CHECK(get_rollback(f.db));
    });
    CHECK(f.session->calls() ==
          calls{"begin", "insert INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)",
                "create_savepoint ls1",
                "insert INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)", "rollback"});
}

TEST_CASE("add with no receivers runs one INSERT that reads back no key", "[model]") {
    testing::fake_connection f;
    f.db.add(items, item{.name = "a"});
    CHECK(f.session->calls() ==
          calls{"insert (no key) INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)"});
}

TEST_CASE("add reads the key back when a post_save receiver will see the row", "[model]") {
    testing::fake_connection f;
    std::int64_t seen_key = 0;
    auto sub = post_save.connect(items, [&](const saved<item>& e) { seen_key = e.instance.id; });
    f.db.add(items, item{.name = "a"});
    CHECK(seen_key == 1);
    CHECK(f.session->calls() ==
          calls{"begin", "insert INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)",
                "commit"});
}

TEST_CASE("bulk_insert reads back no keys and writes every row in one unit", "[model]") {
    testing::fake_connection f;
    const std::vector<item> rows{{.name = "a"}, {.id = 7, .name = "b"}};
    f.db.bulk_insert(items, std::span<const item>(rows));
    CHECK(
        f.session->calls() ==
        calls{
            "begin", "insert (no key) INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?)",
            "insert (no key) INSERT INTO \"item\" (\"id\", \"name\", \"parent\") VALUES (?, ?, ?)",
            "commit"});
}

TEST_CASE("bulk_insert sends rows of the same kind in one multi-row statement under a savepoint "
          "inside a block",
          "[model]") {
    testing::fake_connection f;
    const std::vector<item> rows{{.name = "a"}, {.name = "b"}, {.name = "c"}};
    lockstep::atomic(f.db, [&] { f.db.bulk_insert(items, std::span<const item>(rows)); });
    const auto sent = f.session->calls();
    REQUIRE(sent.size() == 5);
    CHECK(sent[0] == "begin");
    CHECK(sent[1].starts_with("create_savepoint"));
    CHECK(sent[2] == "execute INSERT INTO \"item\" (\"name\", \"parent\") VALUES (?, ?), (?, ?), "
                     "(?, ?)");
    CHECK(sent[3].starts_with("release_savepoint"));
    CHECK(sent[4] == "commit");
}

TEST_CASE("bulk_insert cuts a long run of rows into full statements and one shorter last, and "
          "starts a new run where rows change kind",
          "[model]") {
    testing::fake_connection f;
    // item has 3 columns: a statement carries at most 999 / 3 = 333 rows.
    std::vector<item> rows(700, item{.name = "a"});
    rows.push_back(item{.id = 9000, .name = "b"});
    f.db.bulk_insert(items, std::span<const item>(rows));
    const auto sent = f.session->calls();
    const auto tuples = [](const std::string& call) {
        std::size_t n = 0;
        for (auto at = call.find('('); at != std::string::npos; at = call.find('(', at + 1))
            ++n;
        return n - 1; // the column list
    };
    REQUIRE(sent.size() == 6);
    CHECK(sent[0] == "begin");
    CHECK(sent[1].starts_with("execute INSERT INTO \"item\" (\"name\", \"parent\")"));
    CHECK(tuples(sent[1]) == 333);
    CHECK(tuples(sent[2]) == 333);
    CHECK(tuples(sent[3]) == 34);
    CHECK(sent[4] == "insert (no key) INSERT INTO \"item\" (\"id\", \"name\", \"parent\") "
                     "VALUES (?, ?, ?)");
    CHECK(sent[5] == "commit");
}

TEST_CASE("Text longer than the column is refused before anything is sent", "[model]") {
    testing::fake_connection f;
    CHECK_THROWS_AS(f.db.insert(items, item{.name = "toolong"}), data_error);
    CHECK_THROWS_AS(f.db.add(items, item{.name = "toolong"}), data_error);
    CHECK(f.session->calls().empty());
}

TEST_CASE("save updates a row with a key and inserts when no row has it", "[model]") {
    testing::fake_connection f;
    item row{.id = 7, .name = "a"};
    CHECK_FALSE(f.db.save(items, row)); // the fake reports one row changed
    CHECK(f.session->calls() ==
          calls{"begin",
                "execute UPDATE \"item\" SET \"name\" = ?, \"parent\" = ? WHERE \"id\" = ?",
                "commit"});
}

TEST_CASE("DDL quotes every identifier and declares foreign keys at table level", "[model]") {
    struct child {
        std::int64_t id = 0;
        std::int64_t item_id = 0;
    };
    const table<child> children{
        "child",
        {primary_key(&child::id, "id"),
         foreign_key(&child::item_id, "item_id", items, on_delete::cascade)}};
    testing::fake_connection f;
    f.db.create_tables(items, children);
    CHECK(f.session->calls() ==
          calls{"begin",
                "execute CREATE TABLE \"item\" (\"id\" INTEGER PRIMARY KEY, \"name\" TEXT NOT "
                "NULL, \"parent\" INTEGER)",
                "execute CREATE TABLE \"child\" (\"id\" INTEGER PRIMARY KEY, \"item_id\" INTEGER "
                "NOT NULL, FOREIGN KEY (\"item_id\") REFERENCES \"item\" (\"id\") ON DELETE "
                "CASCADE)",
                "commit"});
}

TEST_CASE("A table must have exactly one primary key and set_null needs an optional member",
          "[model]") {
    CHECK_THROWS_AS(table<item>("bad", {column(&item::name, "name")}), usage_error);
    CHECK_THROWS_AS(table<item>("bad", {primary_key(&item::id, "id"), column(&item::name, "id")}),
                    usage_error);
    struct strict_child {
        std::int64_t id = 0;
        std::int64_t item_id = 0;
    };
    CHECK_THROWS_AS(foreign_key(&strict_child::item_id, "item_id", items, on_delete::set_null),
                    usage_error);
}
