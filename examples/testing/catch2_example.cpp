// Testing code that uses Lockstep with Catch2: each test runs in a test_transaction that rolls
// back, and capture_on_commit shows which notifications a commit would send.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_RUNNER
#include "service.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <lockstep/builtin.hpp>
#include <lockstep/testing.hpp>

namespace {

lockstep::connection& database() {
    static auto db = [] {
        const char* url = std::getenv("EXAMPLE_URL");
        auto c = lockstep::connection::open(url ? url : "sqlite::memory:");
        c.drop_tables(shop::orders, shop::audits);
        c.create_tables(shop::orders, shop::audits);
        return c;
    }();
    return db;
}

} // namespace

TEST_CASE("Placing an order writes it and its audit row, inside the test's transaction") {
    auto& db = database();
    auto receiver = shop::audit_orders();
    lockstep::testing::test_transaction tx(db);
    shop::place_order(db, "Ada"); // a durable block, nested in the test's transaction
    CHECK(db.count(shop::orders) == 1);
    CHECK(db.count(shop::audits) == 1);
}

TEST_CASE("The previous test's rows were rolled back") {
    auto& db = database();
    lockstep::testing::test_transaction tx(db);
    CHECK(db.count(shop::orders) == 0);
    CHECK(db.count(shop::audits) == 0);
}

TEST_CASE("Placing an order queues one notification, sent only when run") {
    auto& db = database();
    lockstep::testing::test_transaction tx(db);
    shop::sent().clear();
    const auto hooks =
        lockstep::testing::capture_on_commit(db, [&] { shop::place_order(db, "Grace"); });
    REQUIRE(hooks.size() == 1);
    CHECK(shop::sent().empty()); // nothing committed, nothing sent
    hooks[0]();
    CHECK(shop::sent() == std::vector<std::string>{"thanks, Grace"});
}

int main(int argc, char** argv) {
    lockstep::register_builtin_drivers();
    return Catch::Session().run(argc, argv);
}
