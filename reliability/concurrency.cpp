// Concurrency: 8 threads share a pool for a bounded time, moving money between accounts in
// blocks with receivers, hooks, failing nested savepoints and deliberate rollbacks, while
// another thread connects and disconnects receivers. Afterwards the totals are exact: no
// transfer lost or applied twice, no receiver row without its transfer, hooks counted exactly
// the committed blocks. Built under the tsan preset too.
// Usage: lockstep_concurrency URL_ENV_VAR|--url URL [seconds] [threads]  (exit 77: URL not set)
// SPDX-License-Identifier: MIT
#include "fault_support.hpp"

#include <atomic>
#include <cstdio>
#include <random>
#include <vector>

using namespace lockstep;
using namespace reliability;

namespace {

struct account {
    std::int64_t id = 0;
    std::string owner;
    std::int64_t balance = 0;
};

struct transfer {
    std::int64_t id = 0;
    std::int64_t from_id = 0;
    std::int64_t to_id = 0;
    std::int64_t amount = 0;
};

struct audit {
    std::int64_t id = 0;
    std::int64_t transfer_id = 0;
    std::string note;
};

struct marker {
    std::int64_t id = 0;
    std::string code;
};

constexpr int account_count = 16;
constexpr std::int64_t opening_balance = 1000;

struct bank {
    explicit bank(const std::string& p)
        : accounts(p + "_account",
                   {primary_key(&account::id, "id"), column(&account::owner, "owner"),
                    column(&account::balance, "balance")}),
          transfers(p + "_transfer",
                    {primary_key(&transfer::id, "id"), column(&transfer::from_id, "from_id"),
                     column(&transfer::to_id, "to_id"), column(&transfer::amount, "amount")}),
          audits(p + "_audit",
                 {primary_key(&audit::id, "id"),
                  foreign_key(&audit::transfer_id, "transfer_id", transfers, on_delete::cascade),
                  column(&audit::note, "note")}),
          markers(p + "_marker",
                  {primary_key(&marker::id, "id"), column(&marker::code, "code", unique)}) {}
    table<account> accounts;
    table<transfer> transfers;
    table<audit> audits;
    table<marker> markers;
};

struct counters {
    std::atomic<std::int64_t> committed{0}, rolled_back{0}, conflicts{0}, savepoint_failures{0},
        extra_receiver_calls{0}, misuse{0};
};

void move_money(connection& db, const bank& b, std::mt19937& rng, counters& c) {
    const auto from = static_cast<std::int64_t>(rng() % account_count) + 1;
    auto to = static_cast<std::int64_t>(rng() % (account_count - 1)) + 1;
    if (to >= from)
        ++to;
    const std::int64_t amount = static_cast<std::int64_t>(rng() % 50) + 1;
    const bool give_up = rng() % 10 == 0;   // a deliberate rollback
    const bool bad_nested = rng() % 4 == 0; // a nested block that fails and is caught
    const auto table = db.quote_identifier(b.accounts.name());
    const auto balance = db.quote_identifier("balance");
    const auto id = db.quote_identifier("id");
    const auto update =
        "UPDATE " + table + " SET " + balance + " = " + balance + " + ? WHERE " + id + " = ?";
    try {
        retry(
            db,
            [&] {
                // Lower id first: two transfers never wait for each other in a cycle, mostly.
                const auto [first, second] = std::minmax(from, to);
                db.execute(update, first == from ? -amount : amount, first);
                db.execute(update, second == from ? -amount : amount, second);
                db.insert(b.transfers, transfer{.id = 0,
                                                .from_id = from,
                                                .to_id = to,
                                                .amount = amount}); // receiver audits it
                on_commit(db, [&c] { c.committed.fetch_add(1); });
                on_rollback(db, [&c] { c.rolled_back.fetch_add(1); });
                if (bad_nested) {
                    try {
                        atomic(db, [&] {
                            db.insert(b.markers, marker{.id = 0, .code = "taken"}); // duplicate
                        });
                    } catch (const integrity_error&) {
                        c.savepoint_failures.fetch_add(1);
                    }
                }
                if (give_up)
                    throw std::runtime_error("deliberate rollback");
            },
            8);
    } catch (const transaction_conflict&) {
        c.conflicts.fetch_add(1); // eight attempts lost: nothing committed, which is allowed
    } catch (const std::runtime_error& e) {
        if (std::string(e.what()) != "deliberate rollback")
            throw;
    }
}

} // namespace

int main(int argc, char** argv) {
    register_builtin_drivers();
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s URL_ENV_VAR|--url URL [seconds] [threads]\n", argv[0]);
        return 2;
    }
    int arg = 1;
    const std::string url =
        std::string(argv[arg]) == "--url" ? std::string(argv[++arg]) : url_from_env(argv[arg]);
    ++arg;
    const double seconds = argc > arg ? std::atof(argv[arg]) : 3.0;
    const int threads = argc > arg + 1 ? std::atoi(argv[arg + 1]) : 8;
    const bank b("rel_conc_" + std::to_string(::getpid()));
    {
        auto db = connection::open(url);
        db.drop_tables(b.accounts, b.transfers, b.audits, b.markers);
        db.create_tables(b.accounts, b.transfers, b.audits, b.markers);
        atomic(db, [&] {
            for (int i = 1; i <= account_count; ++i)
                db.insert(b.accounts, account{.id = i,
                                              .owner = "owner " + std::to_string(i),
                                              .balance = opening_balance});
            db.insert(b.markers, marker{.id = 0, .code = "taken"});
        });
    }
    auto auditor = post_save.connect(b.transfers, [&b](const saved<transfer>& e) {
        e.db.add(b.audits, audit{.id = 0,
                                 .transfer_id = e.instance.id,
                                 .note = std::to_string(e.instance.amount)});
    });
    connection_pool pool(url, static_cast<std::size_t>(threads),
                         {.check_idle_after = std::chrono::milliseconds(0)});
    counters c;
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> attempts{0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
            while (std::chrono::steady_clock::now() < deadline) {
                auto db = pool.acquire();
                move_money(*db, b, rng, c);
                attempts.fetch_add(1);
            }
        });
    // Receivers come and go during dispatches; each that sees a transfer only counts it.
    std::thread subscriber([&] {
        while (!stop.load()) {
            auto sub = post_save.connect(
                b.transfers, [&c](const saved<transfer>&) { c.extra_receiver_calls.fetch_add(1); });
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    for (auto& w : workers)
        w.join();
    stop = true;
    subscriber.join();

    auto db = pool.acquire();
    std::int64_t total = 0, mismatched_accounts = 0;
    std::vector<std::int64_t> expected(account_count + 1, opening_balance);
    const auto all_transfers = db->all(b.transfers);
    for (const auto& t : all_transfers) {
        expected[static_cast<std::size_t>(t.from_id)] -= t.amount;
        expected[static_cast<std::size_t>(t.to_id)] += t.amount;
    }
    for (const auto& a : db->all(b.accounts)) {
        total += a.balance;
        mismatched_accounts += a.balance != expected[static_cast<std::size_t>(a.id)];
    }
    const auto audits = db->count(b.audits);
    const auto markers = db->count(b.markers);
    const auto transfers = static_cast<std::int64_t>(all_transfers.size());
    db->drop_tables(b.accounts, b.transfers, b.audits, b.markers);

    report("concurrency on " + std::string(db->target_name()),
           std::to_string(threads) + " threads, " + std::to_string(seconds) + " s, " +
               std::to_string(attempts.load()) + " blocks tried, " + std::to_string(transfers) +
               " committed, " + std::to_string(c.rolled_back.load()) + " rolled back, " +
               std::to_string(c.savepoint_failures.load()) + " failed nested blocks, " +
               std::to_string(c.conflicts.load()) + " given up after 8 conflicts");
    std::printf("total %lld (expected %lld); accounts off their transfers: %lld; transfers %lld, "
                "audits %lld, on_commit hooks %lld; markers %lld (expected 1)\n",
                static_cast<long long>(total),
                static_cast<long long>(account_count * opening_balance),
                static_cast<long long>(mismatched_accounts), static_cast<long long>(transfers),
                static_cast<long long>(audits), static_cast<long long>(c.committed.load()),
                static_cast<long long>(markers));
    const bool ok = total == account_count * opening_balance && mismatched_accounts == 0 &&
                    audits == transfers && c.committed.load() == transfers && markers == 1 &&
                    transfers > 0;
    std::printf("%s\n", ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
    return ok ? 0 : 1;
}
