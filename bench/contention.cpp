// `lockstep-bench --contention SECONDS`: threads on one or more URLs (for instance one per
// Galera node) run blocks that update a few hot rows, each through lockstep::retry; prints the
// commits per second and how often a block lost a conflict and was run again. Not a test.
// SPDX-License-Identifier: MIT
#include "contention.hpp"

#include "lockstep/lockstep.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace {

struct hot_row {
    std::int64_t id = 0;
    std::int64_t hits = 0;
};
struct hit_row {
    std::int64_t id = 0;
    std::int64_t hot_id = 0;
};

struct contention_tables {
    lockstep::table<hot_row> hot{
        "bench_hot",
        {lockstep::primary_key(&hot_row::id, "id"), lockstep::column(&hot_row::hits, "hits")}};
    lockstep::table<hit_row> hits{
        "bench_hot_hit",
        {lockstep::primary_key(&hit_row::id, "id"),
         lockstep::foreign_key(&hit_row::hot_id, "hot_id", hot, lockstep::on_delete::cascade)}};
};

/// A connection that reads every commit the cluster made before (Galera's causal reads).
lockstep::connection open_reading_all(const std::string& url) {
    auto db = lockstep::connection::open(url);
    if (db.target_name() == "galera")
        db.execute("SET SESSION wsrep_sync_wait = 1");
    return db;
}

} // namespace

int contention_mode(const std::vector<std::string>& urls, double seconds, int threads_per_url,
                    int hot_rows) {
    const contention_tables t;
    std::vector<std::int64_t> ids; // not 1..n on Galera, whose nodes interleave auto-increments
    {
        auto setup = lockstep::connection::open(urls.at(0));
        setup.drop_tables(t.hot, t.hits);
        setup.create_tables(t.hot, t.hits);
        for (int i = 0; i < hot_rows; ++i)
            ids.push_back(setup.insert(t.hot, hot_row{.id = 0, .hits = 0}).id);
    }
    // Each block's receiver writes a hit row in the block, as a real application would.
    auto receiver = lockstep::post_save.connect(t.hot, [&](const lockstep::saved<hot_row>& e) {
        e.db.add(t.hits, hit_row{.id = 0, .hot_id = e.instance.id});
    });
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> commits{0}, attempts{0};
    std::mutex mutex;
    std::map<std::string, int> failures;
    std::vector<std::thread> threads;
    for (std::size_t u = 0; u < urls.size(); ++u)
        for (int k = 0; k < threads_per_url; ++k)
            threads.emplace_back([&, u, k] {
                auto db = open_reading_all(urls[u]);
                const auto select = "SELECT hits FROM " + db.quote_identifier(t.hot.name()) +
                                    " WHERE id = ? FOR UPDATE";
                std::mt19937 random(static_cast<unsigned>(u * 131 + static_cast<unsigned>(k)));
                std::uniform_int_distribution<std::size_t> pick(0, ids.size() - 1);
                while (!stop.load(std::memory_order_relaxed)) {
                    try {
                        // Read-modify-write with a locking read, as an application must (a
                        // plain read would lose updates under snapshot isolation). On Galera the
                        // lock is local: a write on another node wins at COMMIT instead.
                        lockstep::retry(
                            db,
                            [&] {
                                attempts.fetch_add(1, std::memory_order_relaxed);
                                const auto id = ids[pick(random)];
                                const auto hits =
                                    lockstep::as_integer(db.query(select, id).at(0).at(0));
                                hot_row row{.id = id, .hits = hits + 1};
                                db.save(t.hot, row);
                            },
                            10);
                        commits.fetch_add(1, std::memory_order_relaxed);
                    } catch (const lockstep::error& e) {
                        const std::lock_guard lock(mutex);
                        ++failures[e.kind()];
                        if (!db.is_usable())
                            db = open_reading_all(urls[u]);
                    }
                }
            });
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& th : threads)
        th.join();
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    auto check = open_reading_all(urls.at(0));
    std::int64_t total_hits = 0;
    for (const auto& row : check.all(t.hot))
        total_hits += row.hits;
    const auto hit_rows = check.count(t.hits);
    const auto c = commits.load(), a = attempts.load();
    std::cout << "\ncontention: " << urls.size() << " URL(s) x " << threads_per_url
              << " thread(s), " << hot_rows << " hot rows, " << std::fixed << std::setprecision(1)
              << elapsed << " s\n";
    for (const auto& url : urls)
        std::cout << "  " << lockstep::parse_connection_url(url).redacted() << "\n";
    std::cout << "  commits " << c << " (" << std::setprecision(0) << c / elapsed
              << "/s), block runs " << a << ", reruns after a conflict " << a - c << " ("
              << std::setprecision(1) << (a > 0 ? 100.0 * static_cast<double>(a - c) / a : 0.0)
              << "% of runs)";
    for (const auto& [kind, n] : failures)
        std::cout << ", " << n << " gave up with " << kind;
    std::cout << "\n  hits counted " << total_hits << ", receiver rows " << hit_rows << "\n";
    {
        auto setup = lockstep::connection::open(urls.at(0));
        setup.drop_tables(t.hot, t.hits);
    }
    // Every commit counted once, with its receiver's row: the lost-update check of the run.
    return total_hits == c && hit_rows == c ? 0 : 1;
}
