// Unit tests of signal dispatch: order, snapshots, owned subscriptions, dedup keys, threads.
// SPDX-License-Identifier: MIT
#include "lockstep/signal.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace lockstep;

namespace {
struct event {
    int value;
};
} // namespace

TEST_CASE("send calls receivers in connection order and filters by sender", "[signals]") {
    signal<event> s;
    std::vector<std::string> calls;
    int sender_a = 0, sender_b = 0;
    auto r1 = s.connect([&](const event&) { calls.push_back("any"); });
    auto r2 = s.connect([&](const event&) { calls.push_back("a"); }, {.sender = &sender_a});
    auto r3 = s.connect([&](const event&) { calls.push_back("b"); }, {.sender = &sender_b});
    s.send(event{1}, &sender_a);
    CHECK(calls == std::vector<std::string>{"any", "a"});
    CHECK(s.has_receivers(&sender_b));
    CHECK(s.receiver_count() == 3);
}

TEST_CASE("has_receivers and send find exactly the receivers for a sender as receivers for one "
          "sender, several senders and every sender come and go",
          "[signals]") {
    signal<event> s;
    int a = 0, b = 0;
    std::vector<std::string> calls;
    const auto state = [&] {
        calls.clear();
        s.send(event{1}, &a);
        s.send(event{2}, &b);
        s.send(event{3});
        std::string out;
        for (const auto& c : calls)
            out += c + " ";
        return std::to_string(s.has_receivers(&a)) + std::to_string(s.has_receivers(&b)) +
               std::to_string(s.has_receivers()) + " " + out;
    };
    CHECK(state() == "000 ");
    auto first_a = s.connect([&](const event&) { calls.push_back("a1"); }, {.sender = &a});
    CHECK(state() == "100 a1 ");
    auto second_a = s.connect([&](const event&) { calls.push_back("a2"); }, {.sender = &a});
    CHECK(state() == "100 a1 a2 ");
    {
        auto for_b = s.connect([&](const event&) { calls.push_back("b"); }, {.sender = &b});
        CHECK(state() == "110 a1 a2 b ");
        auto for_all = s.connect([&](const event&) { calls.push_back("all"); });
        CHECK(state() == "111 a1 a2 all b all all ");
        for_b.disconnect();
        CHECK(state() == "111 a1 a2 all all all ");
    }
    CHECK(state() == "100 a1 a2 ");
    first_a.disconnect();
    second_a.disconnect();
    CHECK(state() == "000 ");
    auto only_all = s.connect([&](const event&) { calls.push_back("all"); });
    CHECK(state() == "111 all all all ");
}

TEST_CASE("The first exception stops send; send_robust calls everyone and reports failures",
          "[signals]") {
    signal<event> s;
    int later = 0;
    auto r1 = s.connect([](const event&) { throw std::runtime_error("first"); });
    auto r2 = s.connect([&](const event&) { ++later; });
    CHECK_THROWS_WITH(s.send(event{1}), "first");
    CHECK(later == 0);
    const auto failures = s.send_robust(event{1});
    CHECK(later == 1);
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].receiver_index == 0);
}

TEST_CASE("A destroyed or moved-from subscription disconnects exactly once", "[signals]") {
    signal<event> s;
    int calls = 0;
    {
        auto sub = s.connect([&](const event&) { ++calls; });
        auto moved = std::move(sub);
        CHECK_FALSE(sub.connected());
        CHECK(moved.connected());
        s.send(event{1});
    }
    s.send(event{1});
    CHECK(calls == 1);
    CHECK(s.receiver_count() == 0);
}

TEST_CASE("A subscription may outlive its signal", "[signals]") {
    subscription sub;
    {
        signal<event> s;
        sub = s.connect([](const event&) {});
    }
    CHECK_FALSE(sub.connected());
    sub.disconnect(); // must not touch the destroyed signal
}

TEST_CASE("A dedup key makes a second connect a no-op until the first disconnects", "[signals]") {
    signal<event> s;
    auto first = s.connect([](const event&) {}, {.dedup_key = "k"});
    auto second = s.connect([](const event&) {}, {.dedup_key = "k"});
    CHECK(first.connected());
    CHECK_FALSE(second.connected());
    first.disconnect();
    auto third = s.connect([](const event&) {}, {.dedup_key = "k"});
    CHECK(third.connected());
}

TEST_CASE("Receivers connected or disconnected during a dispatch do not change that dispatch",
          "[signals]") {
    signal<event> s;
    std::vector<std::string> calls;
    subscription late, second;
    auto first = s.connect([&](const event&) {
        calls.push_back("first");
        second.disconnect();
        late = s.connect([&](const event&) { calls.push_back("late"); });
    });
    second = s.connect([&](const event&) { calls.push_back("second"); });
    s.send(event{1});
    CHECK(calls == std::vector<std::string>{"first", "second"});
}

TEST_CASE("A nested dispatch that replaces the list an outer dispatch iterates keeps it alive "
          "until the outer dispatch ends",
          "[signals]") {
    signal<event> s;
    std::vector<std::string> calls;
    auto token = std::make_shared<int>(0);
    std::weak_ptr<int> watch = token;
    subscription second;
    auto first = s.connect([&](const event& e) {
        calls.push_back("first " + std::to_string(e.value));
        if (e.value != 1)
            return;
        second.disconnect(); // the outer dispatch's list is now stale...
        s.send(event{2});    // ...and this nested dispatch replaces it in this thread's slot
        CHECK_FALSE(watch.expired()); // still owned: the outer dispatch will call it next
    });
    second = s.connect([&, token = std::move(token)](const event& e) {
        calls.push_back("second " + std::to_string(e.value) + " " + std::to_string(*token));
    });
    s.send(event{1});
    CHECK(calls == std::vector<std::string>{"first 1", "first 2", "second 1 0"});
    CHECK(watch.expired()); // freed once the outermost dispatch ended
}

TEST_CASE("Connecting and disconnecting on other threads while sending is safe", "[signals]") {
    signal<event> s;
    std::atomic<int> sum{0};
    auto steady = s.connect([&](const event& e) { sum += e.value; });
    std::atomic<bool> stop{false};
    std::vector<std::thread> churners;
    for (int t = 0; t < 2; ++t)
        churners.emplace_back([&] {
            while (!stop) {
                auto sub = s.connect([](const event&) {});
            }
        });
    for (int i = 0; i < 2000; ++i)
        s.send(event{1});
    stop = true;
    for (auto& t : churners)
        t.join();
    CHECK(sum == 2000);
}
