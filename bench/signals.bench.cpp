// Signal dispatch cost per send with 0, 1, 4 and 16 receivers, and connect+disconnect, against
// an unsynchronised std::vector<std::function> loop and Boost.Signals2 (Google Benchmark).
// SPDX-License-Identifier: MIT
#include <benchmark/benchmark.h>
#include <boost/signals2.hpp>
#include <functional>
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

} // namespace

BENCHMARK(lockstep_send)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(function_loop)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(boost_signals2)->Arg(0)->Arg(1)->Arg(4)->Arg(16);
BENCHMARK(lockstep_connect_disconnect);
BENCHMARK(boost_connect_disconnect);

BENCHMARK_MAIN();
