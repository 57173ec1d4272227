// `lockstep-bench --outbox OPS`: what the durable outbox costs and how fast it delivers. First
// W1 (a parent whose post_save receiver adds a child, OPS ops in one block) three ways: no hook,
// an in-memory on_commit hook per op, and one on_commit_durable per op; it prints each time per
// op and the durable message's ratio to the in-memory hook (on PostgreSQL also with NOTIFY). Then
// the latency from a block's COMMIT to the start of its message's handler on a dispatcher thread,
// woken by this process's commit (the on_commit nudge), by its poll alone (as a dispatcher in
// another process would be), and on PostgreSQL by NOTIFY. Not a test: nothing here asserts a
// timing. SPDX-License-Identifier: MIT
#include "outbox.hpp"

#include "lockstep/lockstep.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace {

using clock_type = std::chrono::steady_clock;

struct parent {
    std::int64_t id = 0;
    std::string name;
};
struct child {
    std::int64_t id = 0;
    std::int64_t parent_id = 0;
    std::string name;
};

struct schema {
    lockstep::table<parent> parents{
        "bench_outbox_parent",
        {lockstep::primary_key(&parent::id, "id"), lockstep::column(&parent::name, "name")}};
    lockstep::table<child> children{"bench_outbox_child",
                                    {lockstep::primary_key(&child::id, "id"),
                                     lockstep::foreign_key(&child::parent_id, "parent_id", parents,
                                                           lockstep::on_delete::cascade),
                                     lockstep::column(&child::name, "name")}};
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

enum class hook { none, in_memory, durable, durable_notify };

/// Microseconds per op of one W1 block of `ops` ops with `kind` of hook per op.
double w1(lockstep::connection& db, const schema& s, const lockstep::outbox& box,
          const lockstep::outbox& notified, int ops, hook kind) {
    int hooks_run = 0;
    const auto start = clock_type::now();
    lockstep::atomic(db, [&] {
        for (int i = 0; i < ops; ++i) {
            db.add(s.parents, parent{.id = 0, .name = "p"});
            if (kind == hook::in_memory)
                lockstep::on_commit(db, [&hooks_run] { ++hooks_run; });
            else if (kind != hook::none)
                lockstep::on_commit_durable(db, kind == hook::durable ? box : notified, "bench",
                                            "p");
        }
    });
    return std::chrono::duration<double, std::micro>(clock_type::now() - start).count() / ops;
}

/// Latencies in milliseconds from COMMIT to handler, `messages` one-message blocks 2 ms apart.
std::vector<double> latencies(lockstep::connection& writer_db, const std::string& url,
                              const lockstep::outbox& writer_box,
                              const lockstep::outbox& dispatcher_box, int messages) {
    auto dispatch_db = lockstep::connection::open(url);
    lockstep::outbox_options options;
    options.poll_interval = std::chrono::milliseconds(100);
    lockstep::outbox_dispatcher d(dispatch_db, dispatcher_box, options);
    std::mutex m;
    std::condition_variable cv;
    std::map<int, clock_type::time_point> received;
    d.handle("latency", [&](const lockstep::outbox_delivery& delivery) {
        const std::lock_guard lock(m);
        received[std::stoi(delivery.payload)] = clock_type::now();
        cv.notify_all();
    });
    d.start();
    std::vector<clock_type::time_point> committed(static_cast<std::size_t>(messages));
    for (int i = 0; i < messages; ++i) {
        lockstep::atomic(writer_db, [&] {
            lockstep::on_commit_durable(writer_db, writer_box, "latency", std::to_string(i));
        });
        committed[static_cast<std::size_t>(i)] = clock_type::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    {
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::seconds(30),
                    [&] { return received.size() == static_cast<std::size_t>(messages); });
    }
    d.stop();
    std::vector<double> out;
    for (const auto& [i, at] : received)
        out.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(
                                        at - committed[static_cast<std::size_t>(i)])
                                        .count()));
    return out;
}

} // namespace

int outbox_mode(const std::vector<std::string>& urls, int ops, int rounds) {
    const schema s;
    const auto receiver = lockstep::post_save.connect(s.parents, [&](const auto& e) {
        if (e.created)
            e.db.add(s.children, child{.id = 0, .parent_id = e.instance.id, .name = "c"});
    });
    std::cout << "outbox: W1 with " << ops << " ops per block, median of " << rounds
              << " rounds (us/op); latency from COMMIT to handler over 200 messages (ms)\n";
    for (const auto& url : urls) {
        auto db = lockstep::connection::open(url);
        const lockstep::outbox box("bench_outbox"), notified("bench_outbox", {.notify = true});
        const lockstep::outbox other_process("bench_outbox"),
            other_notified("bench_outbox", {.notify = true});
        db.drop_tables(s.parents, s.children);
        lockstep::drop_outbox(db, box);
        db.create_tables(s.parents, s.children);
        lockstep::create_outbox(db, box);
        std::map<hook, std::vector<double>> times;
        const bool postgresql = db.engine_name() == "postgresql";
        for (int r = 0; r < rounds; ++r)
            for (const auto kind :
                 {hook::none, hook::in_memory, hook::durable, hook::durable_notify})
                if (kind != hook::durable_notify || postgresql)
                    times[kind].push_back(w1(db, s, box, notified, ops, kind));
        const auto none = percentile(times[hook::none], 0.5),
                   memory = percentile(times[hook::in_memory], 0.5),
                   durable = percentile(times[hook::durable], 0.5);
        std::cout << std::fixed << std::setprecision(2) << db.target_name() << ": W1 " << none
                  << ", with on_commit " << memory << ", with on_commit_durable " << durable << " ("
                  << durable / memory << "x the in-memory hook)";
        if (postgresql) {
            const auto with_notify = percentile(times[hook::durable_notify], 0.5);
            std::cout << ", with NOTIFY " << with_notify << " (" << with_notify / memory << "x)";
        }
        std::cout << std::endl;
        db.execute("DELETE FROM " + db.quote_identifier(box.messages().name()));
        const auto report = [&](const char* how, const std::vector<double>& ms) {
            std::cout << "  latency, " << how << ": median " << percentile(ms, 0.5) << " ms, p99 "
                      << percentile(ms, 0.99) << " ms (" << ms.size() << " delivered)" << std::endl;
        };
        report("woken by this process's commit", latencies(db, url, box, box, 200));
        report("poll every 100 ms (another process)", latencies(db, url, box, other_process, 200));
        if (postgresql && lockstep::connection::open(url).can_wait_for_notifications())
            report("NOTIFY (another process)", latencies(db, url, notified, other_notified, 200));
        db.drop_tables(s.parents, s.children);
        lockstep::drop_outbox(db, box);
    }
    return 0;
}
