// The order service's models and tables: customers, orders, order lines, and the audit trail
// that receivers write.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <lockstep/lockstep.hpp>
#include <string>

namespace orders {

struct customer {
    std::int64_t id = 0;
    std::string name;
    std::int64_t spent_cents = 0; ///< kept by a receiver: the sum of the customer's orders
};

struct order {
    std::int64_t id = 0;
    std::int64_t customer_id = 0;
    std::int64_t total_cents = 0; ///< kept by a receiver: the sum of the order's lines
};

struct order_line {
    std::int64_t id = 0;
    std::int64_t order_id = 0;
    std::string product;
    std::int64_t quantity = 0;
    std::int64_t price_cents = 0;
};

/// One row per change a receiver saw, written in the same transaction as the change.
struct audit_entry {
    std::int64_t id = 0;
    std::string what; ///< "order created", "line added"
    std::int64_t row_id = 0;
};

/// The four tables, named with a prefix so the example never touches a host's own tables.
struct schema {
    lockstep::table<customer> customers{
        "orders_customer",
        {lockstep::primary_key(&customer::id, "id"),
         lockstep::column(&customer::name, "name", lockstep::max_length(100)),
         lockstep::column(&customer::spent_cents, "spent_cents")}};
    lockstep::table<order> orders{"orders_order",
                                  {lockstep::primary_key(&order::id, "id"),
                                   lockstep::foreign_key(&order::customer_id, "customer_id",
                                                         customers, lockstep::on_delete::cascade),
                                   lockstep::column(&order::total_cents, "total_cents")}};
    lockstep::table<order_line> lines{
        "orders_line",
        {lockstep::primary_key(&order_line::id, "id"),
         lockstep::foreign_key(&order_line::order_id, "order_id", orders,
                               lockstep::on_delete::cascade),
         lockstep::column(&order_line::product, "product", lockstep::max_length(100)),
         lockstep::column(&order_line::quantity, "quantity"),
         lockstep::column(&order_line::price_cents, "price_cents")}};
    lockstep::table<audit_entry> audit{
        "orders_audit",
        {lockstep::primary_key(&audit_entry::id, "id"),
         lockstep::column(&audit_entry::what, "what", lockstep::max_length(100)),
         lockstep::column(&audit_entry::row_id, "row_id")}};
};

} // namespace orders
