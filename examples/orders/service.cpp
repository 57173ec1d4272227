// The order service's receivers, hooks and transaction.
// SPDX-License-Identifier: MIT
#include "service.hpp"

namespace orders {

order_service::order_service(const schema& tables, notification_queue& queue)
    : tables_(tables), queue_(queue) {
    // Receivers write through the connection that sent the signal (e.db), so their rows belong
    // to the caller's transaction and roll back with it.
    order_created_ =
        lockstep::post_save.connect(tables_.orders, [this](const lockstep::saved<order>& e) {
            if (e.created)
                e.db.insert(tables_.audit,
                            audit_entry{.what = "order created", .row_id = e.instance.id});
        });
    line_added_ =
        lockstep::post_save.connect(tables_.lines, [this](const lockstep::saved<order_line>& e) {
            if (!e.created)
                return;
            const auto amount = e.instance.quantity * e.instance.price_cents;
            auto o = e.db.get(tables_.orders, e.instance.order_id).value();
            o.total_cents += amount;
            e.db.update(tables_.orders, o);
            // Several workers add to the same customer at once: read-modify-write through get and
            // update would lose updates under READ COMMITTED (PostgreSQL's default), so the
            // increment happens in the engine, in one statement.
            e.db.execute("UPDATE orders_customer SET spent_cents = spent_cents + ? WHERE id = ?",
                         amount, o.customer_id);
            e.db.insert(tables_.audit, audit_entry{.what = "line added", .row_id = e.instance.id});
        });
}

std::int64_t order_service::place_order(lockstep::connection& db, std::int64_t customer_id,
                                        const std::vector<line_request>& lines) {
    std::int64_t id = 0;
    lockstep::retry(
        db,
        [&] {
            lockstep::on_rollback(db, [this] { ++rollbacks_; });
            const auto o = db.insert(tables_.orders, order{.customer_id = customer_id});
            for (const auto& l : lines)
                db.insert(tables_.lines, order_line{.order_id = o.id,
                                                    .product = l.product,
                                                    .quantity = l.quantity,
                                                    .price_cents = l.price_cents});
            for (const auto& l : lines)
                if (l.quantity <= 0)
                    throw invalid_order("order for customer " + std::to_string(customer_id) +
                                        ": quantity of " + l.product + " must be positive");
            const auto total = db.get(tables_.orders, o.id).value().total_cents;
            // Only a committed order is announced; a rolled-back one never reaches the queue.
            lockstep::on_commit(db, [this, order_id = o.id, customer_id, total] {
                queue_.push("order " + std::to_string(order_id) + " customer " +
                            std::to_string(customer_id) + " total " + std::to_string(total));
            });
            id = o.id;
        },
        10);
    return id;
}

} // namespace orders
