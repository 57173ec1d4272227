// `lockstep bench`: the seed workload (insert a parent, a post_save receiver inserts its child)
// through Lockstep's model layer, on several URLs in the same run, interleaved round by round,
// with the median time per operation and each URL's ratio to the first.
#include "commands.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <lockstep/lockstep.hpp>
#include <sstream>
#include <unistd.h>

namespace lockstep::cli {
namespace {

struct parent {
    std::int64_t id = 0;
    std::string name;
};

struct child {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;
    std::string message;
};

struct measurement {
    double wall_us_per_op;
    double cpu_us_per_op;
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const auto n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

measurement run_once(const std::string& url, int ops, int round) {
    const auto suffix = "_" + std::to_string(::getpid()) + "_" + std::to_string(round);
    const table<parent> parents{
        "lockstep_bench_main" + suffix,
        {primary_key(&parent::id, "id"), column(&parent::name, "name", max_length(100))}};
    const table<child> children{
        "lockstep_bench_sig" + suffix,
        {primary_key(&child::id, "id"),
         foreign_key(&child::parent_id, "main_id", parents, on_delete::cascade),
         column(&child::message, "message", max_length(100))}};
    auto db = connection::open(url);
    db.create_tables(parents, children);
    auto receiver = post_save.connect(parents, [&](const saved<parent>& e) {
        e.db.insert(children, child{.parent_id = e.instance.id, .message = "child"});
    });
    const auto cpu_start = std::clock();
    const auto start = std::chrono::steady_clock::now();
    atomic(db, [&] {
        for (int i = 0; i < ops; ++i)
            db.insert(parents, parent{.name = "parent"});
    });
    const auto wall =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start);
    const double cpu = 1e6 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    // Verify the work: every parent has its child.
    if (db.count(parents) != ops || db.count(children) != ops)
        throw std::runtime_error("the benchmark's rows are missing on " + redact_url_text(url));
    db.drop_tables(parents, children);
    return {wall.count() / ops, cpu / ops};
}

} // namespace

int bench(const std::vector<std::string>& args) {
    std::vector<std::string> urls;
    int ops = 2000, rounds = 5;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--url" && i + 1 < args.size())
            urls.push_back(args[++i]);
        else if (args[i] == "--ops" && i + 1 < args.size())
            ops = std::stoi(args[++i]);
        else if (args[i] == "--rounds" && i + 1 < args.size())
            rounds = std::stoi(args[++i]);
        else {
            std::cerr << "usage: lockstep bench [--url URL]... [--ops N] [--rounds R]\n";
            return 2;
        }
    }
    if (urls.empty())
        urls.push_back("sqlite::memory:");
    std::vector<std::vector<double>> wall(urls.size()), cpu(urls.size()), ratio(urls.size());
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t u = 0; u < urls.size(); ++u) {
            const auto m = run_once(urls[u], ops, round);
            wall[u].push_back(m.wall_us_per_op);
            cpu[u].push_back(m.cpu_us_per_op);
        }
        for (std::size_t u = 0; u < urls.size(); ++u)
            ratio[u].push_back(wall[u].back() / wall[0].back());
    }
    std::cout << "seed workload: one transaction of " << ops
              << " ops (insert a parent; a post_save receiver inserts its child), " << rounds
              << " rounds, medians\n\n"
              << std::left << std::setw(58) << "target" << std::right << std::setw(12) << "us/op"
              << std::setw(12) << "cpu us/op" << std::setw(22) << "ratio to first\n";
    for (std::size_t u = 0; u < urls.size(); ++u) {
        std::string name;
        try {
            name = parse_connection_url(urls[u]).redacted();
        } catch (const error&) {
            name = redact_url_text(urls[u]);
        }
        if (name.size() > 56)
            name = name.substr(0, 53) + "...";
        const auto [lo, hi] = std::minmax_element(ratio[u].begin(), ratio[u].end());
        std::ostringstream ratio_text;
        ratio_text << std::fixed << std::setprecision(2) << median(ratio[u]) << " (" << *lo << "-"
                   << *hi << ")";
        std::cout << std::left << std::setw(58) << name << std::right << std::fixed
                  << std::setprecision(1) << std::setw(12) << median(wall[u]) << std::setw(12)
                  << median(cpu[u]) << std::setw(21) << ratio_text.str() << "\n";
    }
    return 0;
}

} // namespace lockstep::cli
