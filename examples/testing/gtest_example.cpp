// Testing code that uses Lockstep with GoogleTest: a fixture opens a test_transaction per test,
// so every test starts from the same empty tables.
// SPDX-License-Identifier: MIT
#include "service.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <lockstep/builtin.hpp>
#include <lockstep/testing.hpp>
#include <memory>
#include <optional>

namespace {

class OrderTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        lockstep::register_builtin_drivers();
        const char* url = std::getenv("EXAMPLE_URL");
        db_ = std::make_unique<lockstep::connection>(
            lockstep::connection::open(url ? url : "sqlite::memory:"));
        db_->drop_tables(shop::orders, shop::audits);
        db_->create_tables(shop::orders, shop::audits);
    }
    static void TearDownTestSuite() { db_.reset(); }
    void SetUp() override { tx_.emplace(*db_); }
    void TearDown() override { tx_.reset(); } // rolls the test's rows back

    static std::unique_ptr<lockstep::connection> db_;
    std::optional<lockstep::testing::test_transaction> tx_;
    lockstep::subscription receiver_ = shop::audit_orders();
};

std::unique_ptr<lockstep::connection> OrderTest::db_;

TEST_F(OrderTest, PlacingAnOrderWritesItsAuditRow) {
    shop::place_order(*db_, "Ada");
    EXPECT_EQ(db_->count(shop::orders), 1);
    EXPECT_EQ(db_->count(shop::audits), 1);
}

TEST_F(OrderTest, EveryTestStartsFromEmptyTables) {
    EXPECT_EQ(db_->count(shop::orders), 0);
}

TEST_F(OrderTest, TheNotificationWaitsForTheCommit) {
    shop::sent().clear();
    const auto hooks =
        lockstep::testing::capture_on_commit(*db_, [&] { shop::place_order(*db_, "Grace"); });
    ASSERT_EQ(hooks.size(), 1u);
    EXPECT_TRUE(shop::sent().empty());
}

} // namespace
