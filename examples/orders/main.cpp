// The order service's scripted session: worker threads share a connection pool and place
// orders, some of which are refused; then the program checks every row, audit row and
// notification against what the script says must be there. Exit 0 if all of it holds.
// Usage: orders [--config FILE]   (ORDERS_DATABASE_URL and ORDERS_QUEUE override the file)
// SPDX-License-Identifier: MIT
#include "config.hpp"
#include "service.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#if defined(ORDERS_LINKS_ENGINES)
#include <lockstep/builtin.hpp>
#endif

namespace {

constexpr int workers = 4;
constexpr int orders_per_worker = 6;
constexpr int customers = 3;

/// The script: worker `w`'s order `i`. Every worker's fourth order has a line of quantity 0,
/// which the service refuses.
std::vector<orders::line_request> script(int w, int i) {
    std::vector<orders::line_request> lines{{"widget", 1 + i, 250}, {"gadget", 2, 1000 + w}};
    if (i == 3)
        lines.push_back({"broken", 0, 100});
    return lines;
}

int failures = 0;
void check(bool ok, const std::string& what) {
    std::printf("  %-62s %s\n", what.c_str(), ok ? "ok" : "FAILED");
    failures += ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    std::string config_file;
    if (argc == 3 && std::string(argv[1]) == "--config") {
        config_file = argv[2];
    } else if (argc != 1) {
        std::fprintf(stderr, "usage: orders [--config FILE]\n");
        return 2;
    }
#if defined(ORDERS_LINKS_ENGINES)
    lockstep::register_builtin_drivers();
#endif
    try {
        const auto cfg = orders::load_config(config_file);
        const orders::schema tables;
        orders::notification_queue queue(cfg.queue_path);
        auto counters = std::make_shared<lockstep::counting_tracer>();
        lockstep::connection_pool pool(cfg.database_url, workers, {.tracer = counters});

        std::vector<std::int64_t> customer_ids;
        {
            auto db = pool.acquire();
            db->drop_tables(tables.customers, tables.orders, tables.lines, tables.audit);
            db->create_tables(tables.customers, tables.orders, tables.lines, tables.audit);
            for (int c = 0; c < customers; ++c)
                customer_ids.push_back(
                    db->insert(tables.customers,
                               orders::customer{.name = "customer " + std::to_string(c)})
                        .id);
            std::printf("orders on %s\n", std::string(db->target_name()).c_str());
        }

        orders::order_service service(tables, queue);
        std::mutex refused_mutex;
        int refused = 0;
        std::vector<std::thread> threads;
        for (int w = 0; w < workers; ++w)
            threads.emplace_back([&, w] {
                auto db = pool.acquire(); // one connection per worker for its whole run
                for (int i = 0; i < orders_per_worker; ++i) {
                    try {
                        service.place_order(
                            *db, customer_ids[static_cast<std::size_t>((w + i) % customers)],
                            script(w, i));
                    } catch (const orders::invalid_order&) {
                        const std::lock_guard lock(refused_mutex);
                        ++refused;
                    }
                }
            });
        for (auto& t : threads)
            t.join();

        // What the script says must be there, computed from the script alone.
        std::map<std::int64_t, std::int64_t> expected_spent;
        int expected_orders = 0, expected_lines = 0;
        for (int w = 0; w < workers; ++w)
            for (int i = 0; i < orders_per_worker; ++i) {
                const auto lines = script(w, i);
                if (lines.size() == 3)
                    continue; // refused
                ++expected_orders;
                expected_lines += static_cast<int>(lines.size());
                for (const auto& l : lines)
                    expected_spent[customer_ids[static_cast<std::size_t>((w + i) % customers)]] +=
                        l.quantity * l.price_cents;
            }

        auto db = pool.acquire();
        const auto all_orders = db->all(tables.orders);
        const auto all_lines = db->all(tables.lines);
        check(static_cast<int>(all_orders.size()) == expected_orders,
              "committed orders: " + std::to_string(all_orders.size()));
        check(static_cast<int>(all_lines.size()) == expected_lines,
              "order lines: " + std::to_string(all_lines.size()));
        check(
            db->count(tables.audit) == static_cast<std::int64_t>(expected_orders + expected_lines),
            "audit rows (one per order and per line): " + std::to_string(db->count(tables.audit)));
        bool totals = true;
        for (const auto& o : all_orders) {
            std::int64_t sum = 0;
            for (const auto& l : all_lines)
                sum += l.order_id == o.id ? l.quantity * l.price_cents : 0;
            totals = totals && sum == o.total_cents;
        }
        check(totals, "every order's total is the sum of its lines");
        bool spent = true;
        for (const auto& c : db->all(tables.customers))
            spent = spent && c.spent_cents == expected_spent[c.id];
        check(spent, "every customer's spending matches the script");
        const auto notes = queue.read_all();
        bool notes_match = static_cast<int>(notes.size()) == expected_orders;
        for (const auto& o : all_orders) {
            const auto line = "order " + std::to_string(o.id) + " customer " +
                              std::to_string(o.customer_id) + " total " +
                              std::to_string(o.total_cents);
            notes_match = notes_match && std::find(notes.begin(), notes.end(), line) != notes.end();
        }
        check(notes_match, "one notification per committed order, none for refused ones: " +
                               std::to_string(notes.size()));
        check(refused == workers, "refused orders: " + std::to_string(refused));
        const auto counts = counters->snapshot();
        check(service.rollbacks() == static_cast<std::uint64_t>(refused) + counts.retries,
              "on-rollback hooks: refused + retried attempts (" +
                  std::to_string(service.rollbacks()) + " = " + std::to_string(refused) + " + " +
                  std::to_string(counts.retries) + ")");
        db->drop_tables(tables.customers, tables.orders, tables.lines, tables.audit);
        std::printf("%s\n", failures == 0 ? "orders: all checks passed" : "orders: checks FAILED");
        return failures == 0 ? 0 : 1;
    } catch (const lockstep::error& e) {
        std::fprintf(stderr, "orders: %s: %s\n", e.kind(), e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "orders: %s\n", e.what());
        return 1;
    }
}
