// The order service: places orders in one transaction each, with receivers that keep totals and
// write the audit trail, on-commit notifications and on-rollback failure counts.
// SPDX-License-Identifier: MIT
#pragma once

#include "models.hpp"
#include "queue.hpp"

#include <atomic>
#include <stdexcept>
#include <vector>

namespace orders {

/// An order the service refuses; thrown inside the order's block, so everything the order
/// wrote (its rows, the receivers' audit rows and totals) rolls back with it.
class invalid_order : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What a caller asks for: a product, a quantity and a unit price.
struct line_request {
    std::string product;
    std::int64_t quantity = 0;
    std::int64_t price_cents = 0;
};

/// Connects its receivers for its own life; share one between threads, each with its own
/// connection from the pool.
class order_service {
public:
    order_service(const schema& tables, notification_queue& queue);

    /// Places an order and its lines as one transaction, rerun on a conflict (lockstep::retry).
    /// Throws `invalid_order` (after writing, so the rollback is real) if a quantity is not
    /// positive. Returns the order's id.
    std::int64_t place_order(lockstep::connection& db, std::int64_t customer_id,
                             const std::vector<line_request>& lines);

    /// Blocks that rolled back (refused orders and attempts that lost a conflict).
    std::uint64_t rollbacks() const noexcept { return rollbacks_.load(); }

private:
    const schema& tables_;
    notification_queue& queue_;
    std::atomic<std::uint64_t> rollbacks_{0};
    lockstep::subscription order_created_, line_added_;
};

} // namespace orders
