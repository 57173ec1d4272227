// The code under test of the testing examples: a tiny order service that writes in a durable
// block, lets a receiver write an audit row, and queues a notification on commit.
// SPDX-License-Identifier: MIT
#pragma once

#include <lockstep/lockstep.hpp>
#include <string>
#include <vector>

namespace shop {

struct order {
    std::int64_t id = 0;
    std::string customer;
};

struct audit {
    std::int64_t id = 0;
    std::string line;
};

inline const lockstep::table<order> orders{
    "example_order",
    {lockstep::primary_key(&order::id, "id"), lockstep::column(&order::customer, "customer")}};
inline const lockstep::table<audit> audits{
    "example_audit",
    {lockstep::primary_key(&audit::id, "id"), lockstep::column(&audit::line, "line")}};

/// Notifications sent after commit (a stand-in for a mailer or a queue).
inline std::vector<std::string>& sent() {
    static std::vector<std::string> messages;
    return messages;
}

/// Writes an audit row for every new order, inside the caller's transaction.
inline lockstep::subscription audit_orders() {
    return lockstep::post_save.connect(orders, [](const lockstep::saved<order>& e) {
        if (e.created)
            e.db.add(audits, audit{.id = 0, .line = "order for " + e.instance.customer});
    });
}

/// Places an order in its own durable transaction and notifies the customer once it commits.
inline order place_order(lockstep::connection& db, const std::string& customer) {
    return lockstep::atomic(
        db,
        [&] {
            auto placed = db.insert(orders, order{.id = 0, .customer = customer});
            lockstep::on_commit(db, [customer] { sent().push_back("thanks, " + customer); });
            return placed;
        },
        {.durable = true});
}

} // namespace shop
