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

TEST_CASE("Under serializable isolation, a block refused at COMMIT raises transaction_conflict, "
          "runs on_rollback but not on_commit, leaves none of its receivers' rows, and retry "
          "commits it once",
          "[errors][hooks][retry]") {
    fixture fx;
    // PostgreSQL's serializable snapshot isolation lets both transactions write and refuses
    // the later COMMIT (40001); MySQL's serializable blocks the second write on a lock instead
    // and SQLite has one writer, so on them the refusal never reaches COMMIT.
    if (fx.db.engine_name() != "postgresql")
        LOCKSTEP_SKIP("only PostgreSQL refuses a serializable transaction at COMMIT");
    auto other = fx.second_connection();
    auto receiver =
        lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
            e.db.insert(fx.s.sig,
                        signal_model{.main_id = e.instance.id, .message = e.instance.name});
        });
    const auto count_named = [&](lockstep::connection& db, const char* name) {
        return db.count(fx.s.main, lockstep::eq(&main_model::name, name));
    };
    int attempts = 0, committed = 0, rolled_back = 0;
    lockstep::retry(fx.db,
                    [&] {
                        ++attempts;
                        lockstep::on_commit(fx.db, [&] { ++committed; });
                        lockstep::on_rollback(fx.db, [&] { ++rolled_back; });
                        // Write skew: each transaction reads what the other writes. This one reads
                        // and writes first; the other does the same the other way round and commits
                        // first, so this COMMIT is the one refused.
                        count_named(fx.db, "b");
                        fx.db.insert(fx.s.main, main_model{.name = "a" + std::to_string(attempts)});
                        if (attempts == 1)
                            atomic(other,
                                   [&] {
                                       count_named(other, "a1");
                                       other.insert(fx.s.main, main_model{.name = "b"});
                                   },
                                   {.isolation = lockstep::isolation_level::serializable});
                    },
                    3, {.isolation = lockstep::isolation_level::serializable});
    CHECK(attempts == 2);
    CHECK(committed == 1);
    CHECK(rolled_back == 1);
    fx.log("attempts: " + std::to_string(attempts) + ", on_commit ran " +
           std::to_string(committed) + " time(s), on_rollback " + std::to_string(rolled_back));
    CHECK(fx.names() == strings{"a2", "b"});
    // The receiver's row of the refused attempt is gone; the other connection's and the
    // second attempt's are there.
    CHECK(fx.messages() == strings{"a2", "b"});
}
