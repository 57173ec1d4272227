// Receivers and helpers shared by the conformance cases.
// SPDX-License-Identifier: MIT
#pragma once

#include "harness.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <lockstep/lockstep.hpp>
#include <mutex>
#include <string>
#include <thread>

namespace conformance {

using strings = std::vector<std::string>;

/// The oracle's standard receiver: on post_save of a new main row, insert "child of <name>".
inline lockstep::subscription connect_child_creator(fixture& fx) {
    return lockstep::post_save.connect(fx.s.main, [&fx](const lockstep::saved<main_model>& e) {
        fx.log("post_save main '" + e.instance.name + "' created=" + (e.created ? "1" : "0"));
        if (e.created)
            e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id,
                                               .message = "child of " + e.instance.name});
    });
}

/// Inserts a main row named `name`.
inline main_model create_main(fixture& fx, const std::string& name) {
    return fx.db.insert(fx.s.main, main_model{.name = name});
}

/// Where threads of a case wait for each other, for instance until each holds its first lock,
/// but never longer than a limit: a thread that failed before arriving must not hang the case.
class meeting {
public:
    explicit meeting(int parties) : parties_(parties) {}
    /// Arrives and waits until all parties have, or 10 s passed. True when all arrived.
    bool arrive_and_wait() {
        std::unique_lock lock(mutex_);
        ++arrived_;
        changed_.notify_all();
        return changed_.wait_for(lock, std::chrono::seconds(10),
                                 [&] { return arrived_ >= parties_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int parties_;
    int arrived_ = 0;
};

/// Runs two writers built to deadlock, each on a thread of its own (each returns the class of
/// error it met, or "none"), and checks that the engine ended exactly one of them with
/// transaction_conflict and let the other commit (semantics 2.2).
template <class First, class Second>
void expect_one_deadlock_victim(fixture& fx, First&& first, Second&& second) {
    std::string kind_a, kind_b;
    std::thread ta([&] { kind_a = first(); });
    std::thread tb([&] { kind_b = second(); });
    ta.join();
    tb.join();
    const int conflicts = (kind_a == "transaction_conflict") + (kind_b == "transaction_conflict");
    const int commits = (kind_a == "none") + (kind_b == "none");
    fx.log("conflicts " + std::to_string(conflicts) + ", commits " + std::to_string(commits));
    CHECK(conflicts == 1);
    CHECK(commits == 1);
}

} // namespace conformance
