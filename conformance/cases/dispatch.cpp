// Dispatch rules: send and send_robust, sender filters, owned subscriptions, dedup keys,
// snapshots, bulk operations (semantics 3.3-3.5; oracle scenarios 76-90).
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <atomic>
#include <thread>

using namespace conformance;
using lockstep::atomic;

namespace {

struct custom_event {
    lockstep::connection& db;
    std::string label;
};

} // namespace

TEST_CASE("send_robust calls every receiver and returns the errors while the writes commit",
          "[signals][dispatch]") {
    fixture fx;
    lockstep::signal<custom_event> sig;
    auto first = sig.connect([&](const custom_event& e) {
        e.db.insert(fx.s.audit, audit_log{.action = "r1 " + e.label});
        throw boom();
    });
    auto second = sig.connect([&](const custom_event& e) {
        e.db.insert(fx.s.audit, audit_log{.action = "r2 " + e.label});
    });
    std::vector<lockstep::receiver_failure> failures;
    atomic(fx.db, [&] { failures = sig.send_robust(custom_event{fx.db, "x"}); });
    REQUIRE(failures.size() == 1);
    CHECK(failures[0].receiver_index == 0);
    CHECK_THROWS_AS(std::rethrow_exception(failures[0].error), boom);
    CHECK(fx.actions() == strings{"r1 x", "r2 x"});
}

TEST_CASE("send stops at the first receiver that throws and the block rolls back",
          "[signals][dispatch]") {
    fixture fx;
    lockstep::signal<custom_event> sig;
    bool second_called = false;
    auto first = sig.connect([&](const custom_event& e) {
        e.db.insert(fx.s.audit, audit_log{.action = "r1"});
        throw boom();
    });
    auto second = sig.connect([&](const custom_event&) { second_called = true; });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] { sig.send(custom_event{fx.db, "x"}); });
          }) == "boom");
    CHECK_FALSE(second_called);
    CHECK(fx.actions().empty());
}

TEST_CASE("A receiver's database error under send_robust still rolls the block back",
          "[signals][dispatch][errors]") {
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    lockstep::signal<custom_event> sig;
    auto first = sig.connect([&](const custom_event& e) {
        e.db.insert(fx.s.uniq, unique_model{.code = "taken"});
        e.db.sync(); // its own failure, not the next receiver's, on a pipelined connection (10.4)
    });
    auto second = sig.connect(
        [&](const custom_event& e) { e.db.insert(fx.s.audit, audit_log{.action = "r2"}); });
    std::vector<lockstep::receiver_failure> failures;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "x");
                  failures = sig.send_robust(custom_event{fx.db, "x"});
              });
          }) == "none");
    REQUIRE(failures.size() == 2);
    CHECK_THROWS_AS(std::rethrow_exception(failures[0].error), lockstep::integrity_error);
    CHECK_THROWS_AS(std::rethrow_exception(failures[1].error), lockstep::usage_error);
    CHECK(fx.names().empty());
    CHECK(fx.actions().empty());
}

TEST_CASE("Receivers bound to a table fire only for rows of that table", "[signals][dispatch]") {
    fixture fx;
    strings seen;
    auto main_only = lockstep::post_save.connect(
        fx.s.main, [&](const lockstep::saved<main_model>&) { seen.push_back("main receiver"); });
    auto sig_only = lockstep::post_save.connect(
        fx.s.sig, [&](const lockstep::saved<signal_model>&) { seen.push_back("sig receiver"); });
    auto any = lockstep::post_save.connect([&](const lockstep::save_event& e) {
        if (&e.table == &fx.s.main || &e.table == &fx.s.sig || &e.table == &fx.s.audit)
            seen.push_back("any receiver");
    });
    const auto m = create_main(fx, "x");
    fx.db.insert(fx.s.sig, signal_model{.main_id = m.id, .message = "direct child"});
    fx.db.insert(fx.s.audit, audit_log{.action = "log"});
    for (const auto& s : seen)
        fx.log(s);
    CHECK(seen ==
          strings{"main receiver", "any receiver", "sig receiver", "any receiver", "any receiver"});
}

TEST_CASE("A dedup key makes a second connect a no-op", "[signals][dispatch]") {
    fixture fx;
    auto make = [&](std::string message) {
        return lockstep::post_save.connect(
            fx.s.main,
            [&fx, message](const lockstep::saved<main_model>& e) {
                e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = message});
            },
            {.dedup_key = "child-creator"});
    };
    auto first = make("from first");
    auto second = make("from second");
    CHECK(first.connected());
    CHECK_FALSE(second.connected());
    create_main(fx, "x");
    CHECK(fx.messages() == strings{"from first"});
}

TEST_CASE("A receiver disconnected inside a transaction stops firing at once",
          "[signals][dispatch]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        create_main(fx, "A");
        sub.disconnect();
        create_main(fx, "B");
    });
    CHECK(fx.names() == strings{"A", "B"});
    CHECK(fx.messages() == strings{"child of A"});
}

TEST_CASE("A disconnect inside a block that rolls back stays in effect", "[signals][dispatch]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  sub.disconnect();
                  throw boom();
              });
          }) == "boom");
    create_main(fx, "after");
    CHECK_FALSE(sub.connected());
    CHECK(fx.messages().empty());
}

TEST_CASE("A receiver disconnected during a dispatch still runs for that send only",
          "[signals][dispatch]") {
    fixture fx;
    int b_calls = 0;
    lockstep::subscription b;
    auto a = lockstep::post_save.connect(
        fx.s.main, [&](const lockstep::saved<main_model>&) { b.disconnect(); });
    b = lockstep::post_save.connect(fx.s.main,
                                    [&](const lockstep::saved<main_model>&) { ++b_calls; });
    create_main(fx, "first");
    create_main(fx, "second");
    CHECK(b_calls == 1);
}

TEST_CASE("A receiver may disconnect itself while it runs", "[signals][dispatch]") {
    fixture fx;
    int calls = 0;
    lockstep::subscription self;
    self = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>&) {
        ++calls;
        self.disconnect();
    });
    create_main(fx, "first");
    create_main(fx, "second");
    CHECK(calls == 1);
}

TEST_CASE("Destroying a subscription disconnects its receiver", "[signals][dispatch]") {
    fixture fx;
    {
        auto sub = connect_child_creator(fx);
        create_main(fx, "first");
    }
    create_main(fx, "second");
    CHECK(fx.messages() == strings{"child of first"});
}

TEST_CASE("Receivers run in connection order whatever their sender filter", "[signals][dispatch]") {
    fixture fx;
    strings order;
    auto r1 = lockstep::post_save.connect([&](const lockstep::save_event& e) {
        if (&e.table == &fx.s.main)
            order.push_back("any 1");
    });
    auto r2 = lockstep::post_save.connect(
        fx.s.main, [&](const lockstep::saved<main_model>&) { order.push_back("main 2"); });
    auto r3 = lockstep::post_save.connect([&](const lockstep::save_event& e) {
        if (&e.table == &fx.s.main)
            order.push_back("any 3");
    });
    create_main(fx, "x");
    CHECK(order == strings{"any 1", "main 2", "any 3"});
}

TEST_CASE("bulk_insert sends no save signals", "[signals][dispatch]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    const std::vector<main_model> rows{{.name = "b1"}, {.name = "b2"}};
    fx.db.bulk_insert(fx.s.main, std::span<const main_model>(rows));
    CHECK(fx.names() == strings{"b1", "b2"});
    CHECK(fx.messages().empty());
}

TEST_CASE("Connecting and disconnecting from other threads during dispatch is safe",
          "[signals][dispatch]") {
    fixture fx;
    std::atomic<int> calls{0};
    auto steady = lockstep::post_save.connect(fx.s.main,
                                              [&](const lockstep::saved<main_model>&) { ++calls; });
    std::atomic<bool> stop{false};
    std::thread churn([&] {
        while (!stop) {
            auto sub =
                lockstep::post_save.connect(fx.s.main, [](const lockstep::saved<main_model>&) {});
            sub.disconnect();
        }
    });
    atomic(fx.db, [&] {
        for (int i = 0; i < 200; ++i)
            create_main(fx, "row");
    });
    stop = true;
    churn.join();
    CHECK(calls == 200);
    CHECK(fx.db.count(fx.s.main) == 200);
}
