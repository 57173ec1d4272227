// Signal dispatch cost per send with 0, 1, 4 and 16 receivers, and connect+disconnect, against
// an unsynchronised std::vector<std::function> loop and Boost.Signals2; and post_save for a
// table as the model layer sends it, against the same loop over typed receivers (Google
// Benchmark).
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>
#include <boost/signals2.hpp>
#include <functional>
#include <lockstep/builtin.hpp>
#include <lockstep/lockstep.hpp>
#include <lockstep/signal.hpp>
#include <vector>

namespace {

struct event {
    int value;
};

void lockstep_send(benchmark::State& state) {
    lockstep::signal<event> s;
    std::vector<lockstep::subscription> subs;
    long sum = 0;
    for (int i = 0; i < state.range(0); ++i)
        subs.push_back(s.connect([&sum](const event& e) { sum += e.value; }));
    for (auto _ : state) {
        s.send(event{1});
        benchmark::DoNotOptimize(sum);
    }
}

void function_loop(benchmark::State& state) {
    std::vector<std::function<void(const event&)>> receivers;
    long sum = 0;
    for (int i = 0; i < state.range(0); ++i)
        receivers.emplace_back([&sum](const event& e) { sum += e.value; });
    for (auto _ : state) {
        for (const auto& r : receivers)
            r(event{1});
        benchmark::DoNotOptimize(sum);
    }
}

void boost_signals2(benchmark::State& state) {
    boost::signals2::signal<void(const event&)> s;
    long sum = 0;
    for (int i = 0; i < state.range(0); ++i)
        s.connect([&sum](const event& e) { sum += e.value; });
    for (auto _ : state) {
        s(event{1});
        benchmark::DoNotOptimize(sum);
    }
}

void lockstep_connect_disconnect(benchmark::State& state) {
    lockstep::signal<event> s;
    for (auto _ : state) {
        auto sub = s.connect([](const event&) {});
        sub.disconnect();
    }
}

void boost_connect_disconnect(benchmark::State& state) {
    boost::signals2::signal<void(const event&)> s;
    for (auto _ : state) {
        auto c = s.connect([](const event&) {});
        c.disconnect();
    }
}

struct bench_row {
    std::int64_t id = 0;
    std::string name;
};

const lockstep::table<bench_row>& bench_table() {
    static const lockstep::table<bench_row> t{
        "bench_signal_rows",
        {lockstep::primary_key(&bench_row::id, "id"), lockstep::column(&bench_row::name, "name")}};
    return t;
}

lockstep::connection& bench_connection() {
    static auto db = [] {
        lockstep::register_builtin_drivers();
        return lockstep::connection::open("sqlite::memory:");
    }();
    return db;
}

// What connection::insert does after its INSERT: ask whether the table has receivers, then send
// the typed event with the table as sender (semantics 3.1).
void post_save_for_table(benchmark::State& state) {
    const auto& t = bench_table();
    auto& db = bench_connection();
    std::vector<lockstep::subscription> subs;
    long sum = 0;
    for (int i = 0; i < state.range(0); ++i)
        subs.push_back(lockstep::post_save.connect(
            t, [&sum](const lockstep::saved<bench_row>& e) { sum += e.instance.id; }));
    const bench_row row{1, "row"};
    for (auto _ : state) {
        if (lockstep::post_save.has_receivers(&t))
            lockstep::post_save.send(lockstep::saved<bench_row>{{db, t, true}, row}, &t);
        benchmark::DoNotOptimize(sum);
    }
}

// The same typed event through a plain loop over receivers that all want it.
void typed_function_loop(benchmark::State& state) {
    const auto& t = bench_table();
    auto& db = bench_connection();
    std::vector<std::function<void(const lockstep::saved<bench_row>&)>> receivers;
    long sum = 0;
    for (int i = 0; i < state.range(0); ++i)
        receivers.emplace_back(
            [&sum](const lockstep::saved<bench_row>& e) { sum += e.instance.id; });
    const bench_row row{1, "row"};
    for (auto _ : state) {
        const lockstep::saved<bench_row> event{{db, t, true}, row};
        for (const auto& r : receivers)
            r(event);
        benchmark::DoNotOptimize(sum);
    }
}

} // namespace

BENCHMARK(post_save_for_table)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(typed_function_loop)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(lockstep_send)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(function_loop)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(boost_signals2)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(lockstep_connect_disconnect);
BENCHMARK(boost_connect_disconnect);

BENCHMARK_MAIN();
