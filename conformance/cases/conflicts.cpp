// Conflicts between connections end the whole transaction, and retry reruns it (semantics 2.2, 7).
// Every engine accepts the URL option lock_timeout=<ms>.
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

using namespace conformance;
using lockstep::atomic;

TEST_CASE("A write blocked by another transaction's lock raises transaction_conflict that no "
          "savepoint recovers",
          "[errors][connection]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "an in-memory database is private to one connection");
    auto row = create_main(fx, "contested");
    auto other = fx.second_connection("lock_timeout=200");
    std::string inner_kind, after_kind, outer_kind;
    atomic(fx.db, [&] {
        auto mine = row;
        mine.name = "held";
        fx.db.update(fx.s.main, mine); // holds the lock until this block ends
        outer_kind = error_class_of([&] {
            atomic(other, [&] {
                inner_kind = error_class_of([&] {
                    atomic(other, [&] {
                        auto theirs = row;
                        theirs.name = "blocked";
                        other.update(fx.s.main, theirs);
                    });
                });
                after_kind = error_class_of([&] { other.count(fx.s.main); });
            });
        });
    });
    CHECK(inner_kind == "transaction_conflict");
    CHECK(after_kind == "usage_error");
    CHECK(outer_kind == "transaction_conflict");
    CHECK(fx.names() == strings{"held"});
}

TEST_CASE("retry reruns a block that lost a conflict and succeeds once the other transaction ends",
          "[errors][connection][retry]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "an in-memory database is private to one connection");
    const auto row = create_main(fx, "contested");
    std::mutex mutex;
    std::condition_variable changed;
    bool locked = false, release = false;

    auto holder_db = fx.second_connection();
    std::thread holder([&] {
        atomic(holder_db, [&] {
            auto theirs = row;
            theirs.name = "first";
            holder_db.update(fx.s.main, theirs);
            std::unique_lock lock(mutex);
            locked = true;
            changed.notify_all();
            // Bounded: if the engine never made the other side wait, do not hang the suite.
            changed.wait_for(lock, std::chrono::seconds(10), [&] { return release; });
        });
    });
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return locked; });
    }

    auto mine = fx.second_connection("lock_timeout=300");
    int attempts = 0;
    const auto let_holder_commit = [&] {
        const std::lock_guard lock(mutex);
        release = true;
        changed.notify_all();
    };
    try {
        lockstep::retry(
            mine,
            [&] {
                ++attempts;
                // When this attempt rolls back, let the holder commit, so the next one can go on.
                lockstep::on_rollback(mine, let_holder_commit);
                auto ours = row;
                ours.name = "second";
                mine.update(fx.s.main, ours);
            },
            3);
    } catch (...) {
        let_holder_commit();
        holder.join();
        throw;
    }
    holder.join();
    fx.log("attempts " + std::to_string(attempts));
    CHECK(attempts == 2);
    CHECK(fx.names() == strings{"second"});
}
