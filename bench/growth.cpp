// `lockstep-bench --growth`: the cost per operation as the work grows, on each URL: savepoint
// depth, receivers per table, on_commit hooks per block (with peak RSS), rows per block, distinct
// statement texts, threads through a pool. Prints a table per dimension and writes the points
// as JSON for tools/perf_chart.py --growth. Not a test: nothing here asserts a timing.
// SPDX-License-Identifier: MIT
#include "growth.hpp"

#include "lockstep/lockstep.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

struct growth_row {
    std::int64_t id = 0;
    std::string name;
};

lockstep::table<growth_row> make_table(const char* name) {
    return {name,
            {lockstep::primary_key(&growth_row::id, "id"),
             lockstep::column(&growth_row::name, "name", lockstep::max_length(100))}};
}

const lockstep::table<growth_row>& rows_table() {
    static const auto t = make_table("bench_growth");
    return t;
}

// The same columns; receivers bound to it never run for rows of bench_growth.
const lockstep::table<growth_row>& other_table() {
    static const auto t = make_table("bench_growth_other");
    return t;
}

struct point {
    std::string target, dimension, series;
    long x;
    double us_per_op;
    long peak_rss_kib = 0; // hooks only
};

using clock_type = std::chrono::steady_clock;

double micros_since(clock_type::time_point start) {
    return std::chrono::duration<double, std::micro>(clock_type::now() - start).count();
}

long status_kib(const std::string& field) { // VmRSS, VmHWM from /proc/self/status
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(field + ":", 0) == 0)
            return std::stol(line.substr(field.size() + 1));
    return 0;
}

void reset_peak_rss() {
    std::ofstream("/proc/self/clear_refs") << "5"; // Linux: VmHWM starts again from VmRSS
}

void fresh_tables(lockstep::connection& db) {
    db.drop_tables(rows_table(), other_table());
    db.create_tables(rows_table(), other_table());
}

class runner {
public:
    runner(const std::string& url, long max_rows, bool& failed)
        : url_(url), max_rows_(max_rows), failed_(failed), db_(lockstep::connection::open(url)),
          target_(db_.target_name()), server_(db_.engine_name() != "sqlite") {}

    std::vector<point> run(const std::string& dimension) {
        fresh_tables(db_);
        if (dimension == "savepoint_depth")
            savepoint_depth();
        else if (dimension == "receivers")
            receivers();
        else if (dimension == "hooks")
            hooks();
        else if (dimension == "rows")
            rows();
        else if (dimension == "statements")
            statements();
        else if (dimension == "threads")
            threads();
        db_.drop_tables(rows_table(), other_table());
        return std::move(points_);
    }

private:
    int ops() const { return server_ ? 2000 : 20000; }
    void add_point(const std::string& dimension, const std::string& series, long x, double us,
                   long rss = 0) {
        points_.push_back({target_, dimension, series, x, us, rss});
    }
    void check(bool ok, const std::string& what) {
        if (!ok) {
            std::cerr << "bench --growth: " << target_ << ": " << what << "\n";
            failed_ = true;
        }
    }

    // One insert inside a savepoint block opened at depth d (d - 1 blocks held open around it).
    void savepoint_depth() {
        for (const long depth : {1, 2, 4, 8, 16, 32, 64}) {
            double us = 0;
            std::function<void(long)> nest = [&](long level) {
                if (level < depth) {
                    lockstep::atomic(db_, [&] { nest(level + 1); });
                    return;
                }
                const auto start = clock_type::now();
                for (int i = 0; i < ops(); ++i)
                    lockstep::atomic(db_, [&] { db_.add(rows_table(), growth_row{0, "row"}); });
                us = micros_since(start) / ops();
            };
            lockstep::atomic(db_, [&] { nest(1); });
            add_point("savepoint_depth", "block at depth", depth, us);
        }
    }

    // An insert with r receivers on its table (all run) or on another table (none run).
    void receivers() {
        for (const bool matching : {true, false})
            for (const long count : {0, 1, 4, 16, 64}) {
                long calls = 0;
                std::vector<lockstep::subscription> subs;
                for (long i = 0; i < count; ++i)
                    subs.push_back(lockstep::post_save.connect(
                        matching ? rows_table() : other_table(),
                        [&calls](const lockstep::saved<growth_row>&) { ++calls; }));
                const auto start = clock_type::now();
                lockstep::atomic(db_, [&] {
                    for (int i = 0; i < ops(); ++i)
                        (void)db_.insert(rows_table(), growth_row{0, "row"});
                });
                const auto us = micros_since(start) / ops();
                check(calls == (matching ? count * ops() : 0),
                      "receivers ran a wrong number of times");
                add_point("receivers", matching ? "on the written table" : "on another table",
                          count, us);
            }
    }

    // Blocks that each register h on_commit hooks: the time per hook to register it and run it
    // after COMMIT (the COMMIT itself not counted), and the peak RSS above what the process
    // held before.
    void hooks() {
        for (const long count : {1L, 10L, 100L, 1000L, 10000L, 100000L, 1000000L}) {
            long ran = 0;
            double us = 0;
            clock_type::time_point hooks_began;
            const long before = status_kib("VmRSS");
            reset_peak_rss();
            const long rounds = std::max(1L, std::min(100L, 10000L / count));
            for (long r = 0; r < rounds; ++r) {
                lockstep::atomic(db_, [&] {
                    db_.add(rows_table(), growth_row{0, "row"});
                    const auto start = clock_type::now();
                    lockstep::on_commit(db_, [&] { hooks_began = clock_type::now(); });
                    for (long i = 0; i < count; ++i)
                        lockstep::on_commit(db_, [&ran] { ++ran; });
                    lockstep::on_commit(db_, [&] { us += micros_since(hooks_began); });
                    us += micros_since(start);
                });
            }
            check(ran == count * rounds, "on_commit hooks ran a wrong number of times");
            add_point("hooks", "per hook", count, us / (static_cast<double>(count) * rounds),
                      std::max(0L, status_kib("VmHWM") - before));
        }
    }

    // One block of n adds: time per row.
    void rows() {
        for (long count = 10; count <= max_rows_; count *= 10) {
            const long rounds = std::max(1L, 2000L / count);
            const auto start = clock_type::now();
            for (long r = 0; r < rounds; ++r)
                lockstep::atomic(db_, [&] {
                    for (long i = 0; i < count; ++i)
                        db_.add(rows_table(), growth_row{0, "row"});
                });
            add_point("rows", "per row", count, micros_since(start) / (count * rounds));
            db_.execute("DELETE FROM " + db_.quote_identifier(rows_table().name()));
        }
    }

    // N statements cycling through k distinct texts: hits while k fits the adapter's statement
    // cache, misses (a prepare each) beyond it.
    void statements() {
        const int total = server_ ? 20000 : 100000;
        for (const long distinct : {1, 10, 100, 1000, 10000}) {
            std::vector<std::string> texts;
            for (long i = 0; i < distinct; ++i)
                texts.push_back("SELECT ? + " + std::to_string(i));
            std::int64_t sum = 0;
            const auto start = clock_type::now();
            for (int i = 0; i < total; ++i)
                sum += lockstep::as_integer(db_.query(texts[i % distinct], 1).at(0).at(0));
            const auto us = micros_since(start) / total;
            check(sum > 0, "statements returned nothing");
            add_point("statements", "per statement", distinct, us);
        }
    }

    // t threads, each borrowing a connection from one pool per block (lockstep::retry): wall
    // time per block.
    void threads() {
        for (const long count : {1, 2, 4, 8}) {
            lockstep::connection_pool pool(url_, static_cast<std::size_t>(count));
            const int per_thread = server_ ? 500 : 2000;
            std::atomic<long> done{0};
            std::vector<std::thread> workers;
            const auto start = clock_type::now();
            for (long t = 0; t < count; ++t)
                workers.emplace_back([&] {
                    // As the README teaches: a conflict (SQLite's one writer) reruns the block.
                    for (int i = 0; i < per_thread; ++i) {
                        lockstep::retry(
                            pool,
                            [&](lockstep::connection& db) {
                                db.add(rows_table(), growth_row{0, "row"});
                            },
                            100);
                        ++done;
                    }
                });
            for (auto& w : workers)
                w.join();
            const auto us = micros_since(start) / (count * per_thread);
            check(done == count * per_thread, "a thread lost blocks");
            add_point("threads", "wall time per block", count, us);
        }
    }

    std::string url_;
    long max_rows_;
    bool& failed_;
    lockstep::connection db_;
    std::string target_;
    bool server_;
    std::vector<point> points_;
};

} // namespace

int growth_mode(const std::vector<std::string>& urls, const std::vector<std::string>& dimensions,
                long max_rows, const std::string& json_path) {
    const std::vector<std::string> all{"savepoint_depth", "receivers", "hooks", "rows",
                                       "statements",      "threads"};
    const auto& chosen = dimensions.empty() ? all : dimensions;
    for (const auto& d : chosen)
        if (std::find(all.begin(), all.end(), d) == all.end()) {
            std::cerr << "bench --growth: unknown dimension " << d
                      << "; choose from savepoint_depth, receivers, hooks, rows, statements, "
                         "threads\n";
            return 2;
        }
    bool failed = false;
    std::vector<point> points;
    for (const auto& url : urls)
        for (const auto& d : chosen) {
            runner r(url, max_rows, failed);
            const auto found = r.run(d);
            if (found.empty())
                continue;
            std::cout << "\n" << found.front().target << ", " << d << "\n";
            for (const auto& p : found) {
                std::cout << "  " << std::left << std::setw(22) << p.series << std::right
                          << std::setw(9) << p.x << std::fixed << std::setprecision(3)
                          << std::setw(12) << p.us_per_op << " us/op";
                if (p.peak_rss_kib > 0)
                    std::cout << std::setw(10) << p.peak_rss_kib << " KiB peak";
                std::cout << "\n";
            }
            points.insert(points.end(), found.begin(), found.end());
        }
    if (!json_path.empty()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& p : points)
            out.push_back({{"target", p.target},
                           {"dimension", p.dimension},
                           {"series", p.series},
                           {"x", p.x},
                           {"us_per_op", p.us_per_op},
                           {"peak_rss_kib", p.peak_rss_kib}});
        std::ofstream(json_path) << out.dump(1) << "\n";
    }
    return failed ? 1 : 0;
}
