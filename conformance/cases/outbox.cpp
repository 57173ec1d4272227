// The transactional outbox: messages follow their transaction and savepoints, are delivered
// once after commit, and are retried then parked (semantics 11).
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace conformance;
using lockstep::atomic;

namespace {

/// An outbox table for one case, created on the case's connection and dropped after it.
struct case_outbox {
    explicit case_outbox(fixture& f, const lockstep::outbox_settings& settings = {})
        : fx(f), box(f.s.main.name() + "_outbox", settings) {
        lockstep::create_outbox(fx.db, box);
    }
    ~case_outbox() {
        try {
            if (fx.db.is_usable() && !fx.db.in_atomic_block())
                lockstep::drop_outbox(fx.db, box);
        } catch (const lockstep::error&) {
            // The case's own checks have failed already; the table's name is unique to it.
        }
    }
    case_outbox(const case_outbox&) = delete;
    case_outbox& operator=(const case_outbox&) = delete;

    /// Makes `d` log and collect every delivery of `topic`.
    void collect(lockstep::outbox_dispatcher& d, strings& delivered,
                 const std::string& topic = "t") {
        d.handle(topic, [this, &delivered](const lockstep::outbox_delivery& m) {
            fx.log("delivered " + m.topic + " '" + m.payload + "' attempt " +
                   std::to_string(m.attempt));
            delivered.push_back(m.payload);
        });
    }

    fixture& fx;
    lockstep::outbox box;
};

} // namespace

TEST_CASE("An outbox message from a rolled-back block is never delivered", "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  lockstep::on_commit_durable(fx.db, o.box, "t", "lost");
                  throw boom();
              });
          }) == "boom");
    atomic(fx.db, [&] {
        lockstep::on_commit_durable(fx.db, o.box, "t", "kept");
        lockstep::set_rollback(fx.db, true);
    });
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 0);
    CHECK(delivered.empty());
}

TEST_CASE("An outbox message from a rolled-back savepoint is never delivered, its siblings are",
          "[outbox][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    case_outbox o(fx);
    atomic(fx.db, [&] {
        lockstep::on_commit_durable(fx.db, o.box, "t", "before");
        CHECK(error_class_of([&] {
                  atomic(fx.db, [&] {
                      lockstep::on_commit_durable(fx.db, o.box, "t", "inside");
                      throw boom();
                  });
              }) == "boom");
        lockstep::on_commit_durable(fx.db, o.box, "t", "after");
    });
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 2);
    CHECK(delivered == strings{"before", "after"});
}

TEST_CASE("An outbox message from a released savepoint of a committed block is delivered once",
          "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    atomic(fx.db, [&] {
        atomic(fx.db, [&] { lockstep::on_commit_durable(fx.db, o.box, "t", "released"); });
    });
    // Outside a block a message is its own unit, committed at once.
    lockstep::on_commit_durable(fx.db, o.box, "t", "alone");
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 2);
    CHECK(d.dispatch_once() == 0); // delivered messages are marked, never sent again
    CHECK(delivered == strings{"released", "alone"});
}

TEST_CASE("A receiver's outbox message commits and rolls back with the receiver's row",
          "[outbox][signals]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    case_outbox o(fx);
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        fx.log("post_save main '" + e.instance.name + "'");
        lockstep::on_commit_durable(e.db, o.box, "main.created", e.instance.name);
    });
    atomic(fx.db, [&] {
        create_main(fx, "A");
        CHECK(error_class_of([&] {
                  atomic(fx.db, [&] {
                      create_main(fx, "B");
                      throw boom();
                  });
              }) == "boom");
    });
    create_main(fx, "C"); // outside a block: the row and its message are one unit
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered, "main.created");
    CHECK(d.dispatch_once() == 2);
    CHECK(delivered == strings{"A", "C"});
    CHECK(fx.names() == strings{"A", "C"});
}

TEST_CASE("A handler that throws is retried with backoff, then parked as dead with its error",
          "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    lockstep::on_commit_durable(fx.db, o.box, "t", "poison", std::string_view("key-1"));
    lockstep::on_commit_durable(fx.db, o.box, "t", "next");
    // The dispatcher's clock, moved by hand from a second after the messages were written.
    std::int64_t clock = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count() +
                         1000;
    int poison_calls = 0;
    lockstep::outbox_options options;
    options.max_attempts = 3;
    options.first_retry_delay = std::chrono::milliseconds(100);
    options.clock = [&] { return clock; };
    lockstep::outbox_dispatcher d(fx.db, o.box, options);
    strings delivered;
    d.handle("t", [&](const lockstep::outbox_delivery& m) {
        fx.log("attempt " + std::to_string(m.attempt) + " of '" + m.payload + "' key " +
               m.idempotency_key.value_or("none"));
        if (m.payload == "poison") {
            ++poison_calls;
            throw std::runtime_error("cannot deliver poison, attempt " + std::to_string(m.attempt));
        }
        delivered.push_back(m.payload);
    });
    CHECK(d.dispatch_once() == 0); // attempt 1 fails; "next" waits behind it (same topic)
    CHECK(poison_calls == 1);
    CHECK(d.dispatch_once() == 0); // not due yet: the retry waits 100 ms
    CHECK(poison_calls == 1);
    clock += 100;
    CHECK(d.dispatch_once() == 0); // attempt 2 fails; the next wait is 200 ms
    CHECK(poison_calls == 2);
    clock += 199;
    CHECK(d.dispatch_once() == 0);
    CHECK(poison_calls == 2);
    clock += 1;
    CHECK(d.dispatch_once() == 0); // attempt 3 fails: parked as dead
    CHECK(poison_calls == 3);
    CHECK(delivered.empty());
    CHECK(d.dispatch_once() == 1); // the topic moves on
    CHECK(poison_calls == 3);
    CHECK(delivered == strings{"next"});
    const auto dead = d.dead_messages();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].payload == "poison");
    CHECK(dead[0].attempts == 3);
    CHECK(dead[0].idempotency_key == std::optional<std::string>("key-1"));
    CHECK(dead[0].last_error == std::optional<std::string>("cannot deliver poison, attempt 3"));
    fx.log("dead: '" + dead[0].payload + "' after " + std::to_string(dead[0].attempts) +
           " attempts: " + dead[0].last_error.value_or(""));
}

namespace {

/// Leaves `payload`'s message as a dispatcher killed during its handler would: claimed
/// `attempts` times in all, no outcome recorded, its lease run out.
void leave_as_killed(fixture& fx, const case_outbox& o, const std::string& payload,
                     std::int64_t attempts) {
    const auto q = [&](const char* name) { return fx.db.quote_identifier(name); };
    fx.db.execute("UPDATE " + q(o.box.messages().name().c_str()) + " SET " + q("attempts") +
                      " = ?, " + q("lease_owner") + " = ?, " + q("lease_until") + " = ? WHERE " +
                      q("payload") + " = ?",
                  attempts, "a dispatcher that was killed", std::int64_t{1}, payload);
}

} // namespace

TEST_CASE("A message delivered again after its mark was lost gets the next attempt number",
          "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    lockstep::on_commit_durable(fx.db, o.box, "t", "again");
    leave_as_killed(fx, o, "again", 2);
    lockstep::outbox_dispatcher d(fx.db, o.box);
    std::int64_t attempt = 0;
    d.handle("t", [&](const lockstep::outbox_delivery& m) { attempt = m.attempt; });
    CHECK(d.dispatch_once() == 1);
    CHECK(attempt == 3);
}

TEST_CASE("A message whose every attempt died with its dispatcher is parked; its topic goes on",
          "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    lockstep::on_commit_durable(fx.db, o.box, "t", "poison");
    lockstep::on_commit_durable(fx.db, o.box, "t", "next");
    leave_as_killed(fx, o, "poison", 3);
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box, {.max_attempts = 3});
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 1);
    CHECK(delivered == strings{"next"});
    const auto dead = d.dead_messages();
    REQUIRE(dead.size() == 1);
    CHECK(dead[0].payload == "poison");
    CHECK(dead[0].attempts == 3);
    CHECK(dead[0].last_error.value_or("").find("never finished") != std::string::npos);
    fx.log("parked: " + dead[0].last_error.value_or(""));
}

TEST_CASE("An outbox payload of bytes and its idempotency key reach the handler unchanged",
          "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    const lockstep::blob bytes{std::byte{0}, std::byte{0xff}, std::byte{0x0a}, std::byte{0x80}};
    lockstep::on_commit_durable(fx.db, o.box, "bin", std::span<const std::byte>(bytes),
                                std::string_view("order-42"));
    lockstep::outbox_dispatcher d(fx.db, o.box);
    std::optional<lockstep::blob> got;
    std::optional<std::string> key;
    d.handle("bin", [&](const lockstep::outbox_delivery& m) {
        got = m.bytes();
        key = m.idempotency_key;
    });
    CHECK(d.dispatch_once() == 1);
    CHECK(got == bytes);
    CHECK(key == std::optional<std::string>("order-42"));
    fx.log(std::string("bytes ") + (got == bytes ? "unchanged" : "changed"));
}

TEST_CASE("Messages of a topic nobody handles wait; other topics are delivered", "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    lockstep::on_commit_durable(fx.db, o.box, "unhandled", "waits");
    lockstep::on_commit_durable(fx.db, o.box, "t", "goes");
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 1);
    CHECK(delivered == strings{"goes"});
    lockstep::outbox_dispatcher later(fx.db, o.box);
    o.collect(later, delivered, "unhandled");
    CHECK(later.dispatch_once() == 1);
    CHECK(delivered == strings{"goes", "waits"});
}

TEST_CASE("A queue longer than a batch that cannot go now does not hide other topics' messages",
          "[outbox]") {
    fixture fx;
    case_outbox o(fx);
    atomic(fx.db, [&] {
        for (int i = 0; i < 10; ++i)
            lockstep::on_commit_durable(fx.db, o.box, "unhandled", "waits " + std::to_string(i));
        lockstep::on_commit_durable(fx.db, o.box, "t", "goes");
    });
    strings delivered;
    lockstep::outbox_options options;
    options.batch = 4; // the ten waiting messages fill two and a half batches
    lockstep::outbox_dispatcher d(fx.db, o.box, options);
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 1);
    CHECK(delivered == strings{"goes"});
}

namespace {

/// A dispatcher of `box` on its own thread whose poll (10 minutes) cannot deliver within a
/// case: only a wake-up can. It has looked once, found nothing and gone to wait when built.
struct sleeping_dispatcher {
    sleeping_dispatcher(lockstep::connection& db, const lockstep::outbox& box)
        : d(db, box, [] {
              lockstep::outbox_options options;
              options.poll_interval = std::chrono::minutes(10);
              return options;
          }()) {
        d.handle("t", [this](const lockstep::outbox_delivery& message) {
            const std::lock_guard lock(m);
            delivered.push_back(message.payload);
            delivered_cv.notify_all();
        });
        d.start();
        for (int i = 0; i < 3000 && d.sleeps() == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ~sleeping_dispatcher() { d.stop(); }

    /// What was delivered once something was, or after 30 s (a generous bound: a wake-up comes
    /// right after the commit; the poll would take 10 minutes).
    strings wait_for_delivery() {
        std::unique_lock lock(m);
        delivered_cv.wait_for(lock, std::chrono::seconds(30), [&] { return !delivered.empty(); });
        return delivered;
    }

    lockstep::outbox_dispatcher d;
    std::mutex m;
    std::condition_variable delivered_cv;
    strings delivered;
};

} // namespace

TEST_CASE("A running dispatcher is woken by a commit that writes a message, not by its poll",
          "[outbox][threads]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "the dispatcher needs a connection of its own to the same database");
    case_outbox o(fx);
    auto dispatch_db = fx.second_connection();
    sleeping_dispatcher s(dispatch_db, o.box);
    // Commit only once the dispatcher has found nothing and gone to wait: from then on only
    // the nudge (or the 10-minute poll) makes it look again.
    REQUIRE(s.d.sleeps() == 1);
    atomic(fx.db, [&] { lockstep::on_commit_durable(fx.db, o.box, "t", "woken"); });
    const auto delivered = s.wait_for_delivery();
    CHECK(delivered == strings{"woken"});
    fx.log("delivered after commit: " + std::to_string(delivered.size()));
}

TEST_CASE("On PostgreSQL a dispatcher is woken by NOTIFY from a commit it was not told of",
          "[outbox][threads]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "the dispatcher needs a connection of its own to the same database");
    auto dispatch_db = fx.second_connection();
    LOCKSTEP_REQUIRE_FEATURE(dispatch_db.can_wait_for_notifications(),
                             "only a native PostgreSQL connection can LISTEN (semantics 11.9)");
    case_outbox o(fx);
    // Two outbox objects for one table, as two processes would have: the writer's commits
    // nudge only its own, so only NOTIFY can wake the dispatcher before its 10-minute poll.
    const lockstep::outbox writer(o.box.messages().name(), {.notify = true});
    const lockstep::outbox listener(o.box.messages().name(), {.notify = true});
    sleeping_dispatcher s(dispatch_db, listener);
    REQUIRE(s.d.sleeps() == 1);
    atomic(fx.db, [&] {
        lockstep::on_commit_durable(fx.db, writer, "t", "rolled back");
        lockstep::set_rollback(fx.db, true);
    });
    // A rolled-back NOTIFY is never sent: the dispatcher stays asleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(s.d.sleeps() == 1);
    atomic(fx.db, [&] { lockstep::on_commit_durable(fx.db, writer, "t", "notified"); });
    const auto delivered = s.wait_for_delivery();
    CHECK(delivered == strings{"notified"});
    fx.log("delivered after NOTIFY: " + std::to_string(delivered.size()));
}

TEST_CASE("A message rolled back with its savepoint does not wake a dispatcher",
          "[outbox][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    case_outbox o(fx);
    const auto before = o.box.commits();
    atomic(fx.db, [&] {
        error_class_of([&] {
            atomic(fx.db, [&] {
                lockstep::on_commit_durable(fx.db, o.box, "t", "gone");
                throw boom();
            });
        });
        CHECK(o.box.commits() == before); // nothing is committed yet
    });
    CHECK(o.box.commits() == before);
    atomic(fx.db, [&] { lockstep::on_commit_durable(fx.db, o.box, "t", "here"); });
    CHECK(o.box.commits() == before + 1);
}

TEST_CASE("A block wakes dispatchers once, also when its first message was rolled back with its "
          "savepoint",
          "[outbox][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    case_outbox o(fx);
    const auto before = o.box.commits();
    atomic(fx.db, [&] {
        error_class_of([&] {
            atomic(fx.db, [&] {
                lockstep::on_commit_durable(fx.db, o.box, "t", "gone");
                throw boom();
            });
        });
        // The wake-up went with the savepoint: the next messages register it again, once.
        lockstep::on_commit_durable(fx.db, o.box, "t", "first kept");
        lockstep::on_commit_durable(fx.db, o.box, "t", "second kept");
    });
    CHECK(o.box.commits() == before + 1);
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered);
    CHECK(d.dispatch_once() == 2);
    CHECK(delivered == strings{"first kept", "second kept"});
}

TEST_CASE("Two dispatchers on two connections deliver every message once, in order per topic, "
          "never one message by both at once",
          "[outbox][threads]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "each dispatcher needs a connection of its own");
    case_outbox o(fx);
    constexpr int messages = 200, topics = 4;
    atomic(fx.db, [&] {
        for (int i = 0; i < messages; ++i)
            lockstep::on_commit_durable(fx.db, o.box, "topic" + std::to_string(i % topics),
                                        std::to_string(i));
    });
    std::mutex m;
    std::map<std::int64_t, int> times_delivered;
    std::set<std::int64_t> in_flight;
    std::map<std::string, std::vector<std::int64_t>> order; // per topic, as handlers began
    int overlaps = 0;
    const auto run = [&](lockstep::connection& db, std::string& failure) {
        lockstep::outbox_dispatcher d(db, o.box);
        for (int t = 0; t < topics; ++t)
            d.handle("topic" + std::to_string(t), [&](const lockstep::outbox_delivery& message) {
                {
                    const std::lock_guard lock(m);
                    overlaps += in_flight.insert(message.id).second ? 0 : 1;
                    order[message.topic].push_back(message.id);
                }
                std::this_thread::yield(); // give the other dispatcher a chance to collide
                const std::lock_guard lock(m);
                in_flight.erase(message.id);
                ++times_delivered[message.id];
            });
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            {
                const std::lock_guard lock(m);
                if (times_delivered.size() == static_cast<std::size_t>(messages))
                    return;
            }
            try {
                // As docs/outbox.md teaches: pause when there was nothing to deliver, instead of
                // spinning on the claim (on SQLite a spinning claim starves the other's marks).
                if (d.dispatch_once() == 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
            } catch (const lockstep::error& e) {
                if (!e.is_retryable()) { // SQLite's one writer: a busy claim is tried again
                    failure = std::string(e.kind()) + ": " + e.what();
                    return;
                }
            }
        }
    };
    auto first_db = fx.second_connection();
    auto second_db = fx.second_connection();
    std::string first_failure, second_failure;
    std::thread first([&] { run(first_db, first_failure); });
    std::thread second([&] { run(second_db, second_failure); });
    first.join();
    second.join();
    CHECK(first_failure == ""); // compared with "", so a failure shows the error
    CHECK(second_failure == "");
    CHECK(overlaps == 0);
    CHECK(times_delivered.size() == static_cast<std::size_t>(messages));
    CHECK(std::all_of(times_delivered.begin(), times_delivered.end(),
                      [](const auto& e) { return e.second == 1; }));
    for (const auto& [topic, ids] : order)
        CHECK(std::is_sorted(ids.begin(), ids.end()));
    fx.log("delivered " + std::to_string(times_delivered.size()) + " messages once each");
}

namespace {

/// Two writers of one outbox on connections of their own: `first` writes its message and keeps
/// its block open until `finish_first`; `second` writes its message in a block of its own on a
/// thread and commits as soon as the engine lets it (semantics 11.4).
struct two_writers {
    two_writers(fixture& f, const lockstep::outbox& b) : fx(f), box(b) {}
    ~two_writers() {
        finish_first();
        if (first_thread.joinable())
            first_thread.join();
        if (second_thread.joinable())
            second_thread.join();
    }
    two_writers(const two_writers&) = delete;
    two_writers& operator=(const two_writers&) = delete;

    /// Starts the first writer and returns once its message of `topic` is written.
    void start_first(const std::string& topic) {
        first_thread = std::thread([this, topic] {
            first_error = error_class_of_unrecorded([&] {
                atomic(first_db, [&] {
                    lockstep::on_commit_durable(first_db, box, topic, "first");
                    std::unique_lock lock(mutex);
                    first_wrote = true;
                    changed.notify_all();
                    changed.wait_for(lock, std::chrono::seconds(30), [&] { return release; });
                });
            });
            const std::lock_guard lock(mutex);
            first_done = true;
            changed.notify_all();
        });
        std::unique_lock lock(mutex);
        changed.wait_for(lock, std::chrono::seconds(30), [&] { return first_wrote || first_done; });
    }
    /// Starts the second writer on a thread; it writes a message of `topic` and commits.
    void start_second(const std::string& topic) {
        second_thread = std::thread([this, topic] {
            second_error = error_class_of_unrecorded([&] {
                atomic(second_db,
                       [&] { lockstep::on_commit_durable(second_db, box, topic, "second"); });
            });
            const std::lock_guard lock(mutex);
            second_done = true;
            changed.notify_all();
        });
    }
    /// Has the second writer committed (or failed) within `wait`?
    bool second_finished_within(std::chrono::milliseconds wait) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, wait, [&] { return second_done; });
    }
    /// Lets the first writer commit.
    void finish_first() {
        const std::lock_guard lock(mutex);
        release = true;
        changed.notify_all();
    }
    /// Waits for both writers to end.
    void join() {
        finish_first();
        first_thread.join();
        second_thread.join();
    }
    /// Waits for both writers to end and checks that both committed.
    void join_expecting_both_committed() {
        join();
        CHECK(first_error == "none");
        CHECK(second_error == "none");
    }

    fixture& fx;
    const lockstep::outbox& box;
    lockstep::connection first_db = fx.second_connection();
    lockstep::connection second_db = fx.second_connection();
    std::mutex mutex;
    std::condition_variable changed;
    bool first_wrote = false, first_done = false, second_done = false, release = false;
    std::string first_error, second_error;
    std::thread first_thread, second_thread;
};

} // namespace

/// Skips a case that needs two writers at once: on SQLite one transaction writes at a time, so
/// writers of an outbox queue without any topic lock (semantics 11.4).
#define REQUIRE_TWO_WRITERS(fx)                                                                    \
    LOCKSTEP_REQUIRE_FEATURE((fx).can_open_second_connection(), "each writer needs a connection"); \
    LOCKSTEP_REQUIRE_FEATURE((fx).db.features().supports_concurrent_writers,                       \
                             "the engine has one writer at a time: writers queue anyway")

TEST_CASE("A writer of a topic waits for an open writer of the same topic, so messages are "
          "delivered in commit order",
          "[outbox][threads]") {
    fixture fx;
    REQUIRE_TWO_WRITERS(fx);
    case_outbox o(fx);
    strings delivered;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    o.collect(d, delivered);
    two_writers w(fx, o.box);
    w.start_first("t");
    w.start_second("t");
    // Long enough for the second writer to commit if nothing held it back.
    const bool second_went_ahead = w.second_finished_within(std::chrono::milliseconds(500));
    CHECK_FALSE(second_went_ahead);
    CHECK(d.dispatch_once() == 0); // nothing committed yet: the second did not overtake
    w.join_expecting_both_committed();
    CHECK(d.dispatch_once() == 2);
    CHECK(delivered == strings{"first", "second"});
}

TEST_CASE("Writers of different topics do not wait for each other", "[outbox][threads]") {
    fixture fx;
    REQUIRE_TWO_WRITERS(fx);
    case_outbox o(fx);
    two_writers w(fx, o.box);
    w.start_first("t");
    w.start_second("u");
    CHECK(w.second_finished_within(std::chrono::seconds(10)));
    w.join_expecting_both_committed();
}

TEST_CASE("With ordered topics off, writers of a topic do not wait for each other, and their "
          "messages go in key order",
          "[outbox][threads]") {
    fixture fx;
    REQUIRE_TWO_WRITERS(fx);
    case_outbox o(fx, {.ordered_topics = false});
    std::vector<std::int64_t> keys;
    lockstep::outbox_dispatcher d(fx.db, o.box);
    d.handle("t", [&](const lockstep::outbox_delivery& m) { keys.push_back(m.id); });
    two_writers w(fx, o.box);
    w.start_first("t");
    w.start_second("t");
    // The second commits while the first is still open. Which drew the smaller key depends on
    // when the INSERT reached the engine (a pipelined one goes at COMMIT).
    CHECK(w.second_finished_within(std::chrono::seconds(10)));
    w.join_expecting_both_committed();
    CHECK(d.dispatch_once() == 2);
    fx.log("delivered " + std::to_string(keys.size()));
    CHECK(std::is_sorted(keys.begin(), keys.end()));
}

TEST_CASE("Writers that lock two topics in opposite orders: one is told of the deadlock, the "
          "other commits",
          "[outbox][threads][errors]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(), "each writer needs a connection");
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_concurrent_writers,
                             "the engine has one writer at a time, so two writers cannot deadlock");
    case_outbox o(fx);
    // Both topics' rows exist, as they do once a topic has been written.
    atomic(fx.db, [&] {
        lockstep::on_commit_durable(fx.db, o.box, "t", "setup");
        lockstep::on_commit_durable(fx.db, o.box, "u", "setup");
    });
    meeting both_hold(2);
    // Longer than PostgreSQL's deadlock_timeout (1 s), so the deadlock detector decides.
    auto a = fx.second_connection("lock_timeout=10000");
    auto b = fx.second_connection("lock_timeout=10000");
    const auto writer = [&](lockstep::connection& db, const std::string& mine,
                            const std::string& theirs) {
        return error_class_of_unrecorded([&] {
            atomic(db, [&] {
                lockstep::on_commit_durable(db, o.box, mine, "a");
                // Each holds its first topic before asking for the other's.
                both_hold.arrive_and_wait();
                lockstep::on_commit_durable(db, o.box, theirs, "b");
            });
        });
    };
    expect_one_deadlock_victim(
        fx, [&] { return writer(a, "t", "u"); }, [&] { return writer(b, "u", "t"); });
    CHECK(fx.db.count(o.box.messages()) == 4); // the two of setup and the winner's two
}
