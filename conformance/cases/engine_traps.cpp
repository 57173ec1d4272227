// The traps of engines that cannot keep a promise by themselves: tables that ignore rollback,
// deadlocks between connections (semantics 2.2, 5.2).
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <chrono>
#include <thread>

using namespace conformance;
using lockstep::atomic;

TEST_CASE("A write inside a block to a table that ignores rollback is refused before it is sent, "
          "and works outside blocks unless the target is a cluster that cannot replicate it",
          "[schema][atomic]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().has_non_transactional_tables,
                             "every table of this engine rolls back");
    // Created behind Lockstep's back, as a legacy schema would have it (MySQL syntax: only
    // engines with such tables get here).
    const auto name = fx.s.main.name() + "_nontx";
    fx.db.execute("CREATE TABLE " + fx.db.quote_identifier(name) +
                  " (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, action VARCHAR(100) NOT "
                  "NULL) ENGINE=MyISAM");
    const lockstep::table<audit_log> nontx(
        name, {lockstep::primary_key(&audit_log::id, "id"),
               lockstep::column(&audit_log::action, "action", lockstep::max_length(100))});
    // A Galera cluster replicates InnoDB tables only: there the write is refused even outside
    // blocks, for it would exist on one node only (semantics 8.12).
    const bool cluster = fx.db.target_name() == "galera";
    // Unrecorded: the transcript stays the same on every target.
    if (cluster)
        CHECK(error_class_of_unrecorded(
                  [&] { fx.db.insert(nontx, audit_log{.action = "outside"}); }) == "usage_error");
    else
        fx.db.insert(nontx, audit_log{.action = "outside"});
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        fx.log("receiver " + std::string(error_class_of([&] {
                   e.db.insert(nontx, audit_log{.action = "from receiver"});
               })));
    });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "kept");
                  CHECK_FALSE(lockstep::get_rollback(fx.db)); // the refusal sent nothing
                  throw boom();
              });
          }) == "boom");
    atomic(fx.db, [&] { create_main(fx, "committed"); });
    CHECK(fx.names() == strings{"committed"});
    CHECK(fx.db.count(nontx) == (cluster ? 0 : 1));
    fx.db.drop_tables(nontx);
}

TEST_CASE("A table converted to an engine that ignores rollback is refused inside blocks from "
          "then on, even after earlier writes to it were allowed",
          "[schema][atomic]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().has_non_transactional_tables,
                             "every table of this engine rolls back");
    atomic(fx.db, [&] { fx.db.insert(fx.s.audit, audit_log{.action = "while transactional"}); });
    // DDL outside any block (MySQL syntax: only engines with such tables get here). Lockstep
    // must not trust what it learned about the table before.
    fx.db.execute("ALTER TABLE " + fx.db.quote_identifier(fx.s.audit.name()) + " ENGINE=MyISAM");
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] { fx.db.insert(fx.s.audit, audit_log{.action = "refused"}); });
          }) == "usage_error");
    if (fx.db.target_name() == "galera") { // not replicated: refused outside blocks too (8.12)
        // Unrecorded, and the row removed below on the others: the same transcript everywhere.
        CHECK(error_class_of_unrecorded([&] {
                  fx.db.insert(fx.s.audit, audit_log{.action = "outside a block"});
              }) == "usage_error");
        CHECK(fx.actions() == strings{"while transactional"});
    } else {
        fx.db.insert(fx.s.audit, audit_log{.action = "outside a block"});
        CHECK(fx.actions() == strings{"outside a block", "while transactional"});
        fx.db.execute("DELETE FROM " + fx.db.quote_identifier(fx.s.audit.name()) +
                          " WHERE action = ?",
                      "outside a block");
    }
}

TEST_CASE("A deadlock between two connections ends one transaction with transaction_conflict and "
          "lets the other commit",
          "[errors][connection]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "an in-memory database is private to one connection");
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_concurrent_writers,
                             "the engine has one writer at a time, so two writers cannot deadlock");
    const auto first = create_main(fx, "row 1");
    const auto second = create_main(fx, "row 2");
    meeting both_hold(2);
    // Longer than PostgreSQL's deadlock_timeout (1 s), so the deadlock detector decides.
    auto a = fx.second_connection("lock_timeout=10000");
    auto b = fx.second_connection("lock_timeout=10000");
    const auto writer = [&](lockstep::connection& db, main_model mine, main_model theirs,
                            const std::string& label) {
        return error_class_of_unrecorded([&] {
            atomic(db, [&] {
                mine.name = label;
                db.update(fx.s.main, mine);
                // Each holds its first row before asking for the other's.
                both_hold.arrive_and_wait();
                theirs.name = label;
                db.update(fx.s.main, theirs);
            });
        });
    };
    expect_one_deadlock_victim(
        fx, [&] { return writer(a, first, second, "a"); },
        [&] { return writer(b, second, first, "b"); });
    const auto names = fx.names();
    REQUIRE(names.size() == 2);
    CHECK(names[0] == names[1]); // both rows are the winner's: nothing of the loser remains
    // Which side wins is the engine's choice; empty the table so the transcript does not say.
    fx.db.remove(fx.s.main, first);
    fx.db.remove(fx.s.main, second);
}
