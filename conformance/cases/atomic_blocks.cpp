// Atomic blocks: commit, rollback, nesting with and without savepoints, durable blocks and the
// rollback flag (semantics 1; oracle scenarios 18-23, 42-46, 64-66, 103).
// SPDX-License-Identifier: MIT
#include "common.hpp"

using namespace conformance;
using lockstep::atomic;

TEST_CASE("Leaving an atomic block normally commits its writes", "[atomic]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] { create_main(fx, "seed"); });
    CHECK(fx.names() == strings{"seed"});
    CHECK(fx.messages() == strings{"child of seed"});
}

TEST_CASE("An exception inside an atomic block rolls back its writes and propagates unchanged",
          "[atomic]") {
    fixture fx;
    CHECK_THROWS_WITH(atomic(fx.db,
                             [&] {
                                 create_main(fx, "gone");
                                 throw std::runtime_error("exactly this");
                             }),
                      "exactly this");
    CHECK(fx.names().empty());
    CHECK_FALSE(fx.db.in_atomic_block());
}

TEST_CASE("An atomic block returns what its body returns", "[atomic]") {
    fixture fx;
    const auto id = atomic(fx.db, [&] { return create_main(fx, "x").id; });
    CHECK(id > 0);
    CHECK(fx.db.get(fx.s.main, id)->name == "x");
}

TEST_CASE("A failing nested atomic block rolls back only to its savepoint",
          "[atomic][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        create_main(fx, "A");
        CHECK(error_class_of([&] {
                  atomic(fx.db, [&] {
                      create_main(fx, "B");
                      throw boom();
                  });
              }) == "boom");
    });
    CHECK(fx.names() == strings{"A"});
    CHECK(fx.messages() == strings{"child of A"});
}

TEST_CASE("A failing nested block without a savepoint rolls back the whole enclosing block",
          "[atomic]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        create_main(fx, "A");
        CHECK(error_class_of([&] {
                  atomic(fx.db,
                         [&] {
                             create_main(fx, "B");
                             throw boom();
                         },
                         {.savepoint = false});
              }) == "boom");
        CHECK(lockstep::get_rollback(fx.db));
        CHECK(error_class_of([&] { fx.db.count(fx.s.main); }) == "usage_error");
    });
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("A block without a savepoint inside a savepoint block rolls back to that savepoint",
          "[atomic][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        create_main(fx, "A");
        atomic(fx.db, [&] {
            create_main(fx, "B");
            CHECK(error_class_of([&] {
                      atomic(fx.db,
                             [&] {
                                 create_main(fx, "C");
                                 throw boom();
                             },
                             {.savepoint = false});
                  }) == "boom");
        });
        CHECK_FALSE(lockstep::get_rollback(fx.db));
    });
    CHECK(fx.names() == strings{"A"});
    CHECK(fx.messages() == strings{"child of A"});
}

TEST_CASE("Blocks without savepoints all the way up roll back the outermost block", "[atomic]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        create_main(fx, "A");
        atomic(fx.db,
               [&] {
                   create_main(fx, "B");
                   CHECK(error_class_of([&] {
                             atomic(fx.db,
                                    [&] {
                                        create_main(fx, "C");
                                        throw boom();
                                    },
                                    {.savepoint = false});
                         }) == "boom");
               },
               {.savepoint = false});
    });
    CHECK(fx.names().empty());
}

TEST_CASE("Five nested blocks with a failure at level three keep levels one and two",
          "[atomic][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = connect_child_creator(fx);
    std::vector<std::string> hooks;
    const auto level = [&](const std::string& name) {
        create_main(fx, name);
        lockstep::on_commit(fx.db, [&hooks, name] { hooks.push_back(name); });
    };
    atomic(fx.db, [&] {
        level("L1");
        atomic(fx.db, [&] {
            level("L2");
            CHECK(error_class_of([&] {
                      atomic(fx.db, [&] {
                          level("L3");
                          atomic(fx.db, [&] {
                              level("L4");
                              atomic(fx.db, [&] { level("L5"); });
                          });
                          throw boom();
                      });
                  }) == "boom");
            level("L2b");
        });
    });
    CHECK(fx.names() == strings{"L1", "L2", "L2b"});
    CHECK(hooks == strings{"L1", "L2", "L2b"});
    fx.log("hooks " + std::to_string(hooks.size()));
}

TEST_CASE("A durable block refuses to run nested and the caught refusal leaves the outer block "
          "intact",
          "[atomic]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        create_main(fx, "A");
        CHECK(error_class_of([&] {
                  atomic(fx.db, [&] { create_main(fx, "never"); }, {.durable = true});
              }) == "usage_error");
    });
    CHECK(fx.names() == strings{"A"});
}

TEST_CASE("An uncaught durable refusal rolls back the outer block", "[atomic]") {
    fixture fx;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "A");
                  atomic(fx.db, [] {}, {.durable = true});
              });
          }) == "usage_error");
    CHECK(fx.names().empty());
}

TEST_CASE("A durable outermost block commits with nested blocks inside it", "[atomic]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    bool hook_ran = false;
    atomic(fx.db,
           [&] {
               atomic(fx.db, [&] { create_main(fx, "x"); });
               lockstep::on_commit(fx.db, [&] { hook_ran = true; });
           },
           {.durable = true});
    CHECK(hook_ran);
    CHECK(fx.messages() == strings{"child of x"});
}

TEST_CASE("set_rollback(true) rolls the block back at exit without an exception and runs no hook",
          "[atomic][hooks]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    bool hook_ran = false;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "x");
                  lockstep::on_commit(fx.db, [&] { hook_ran = true; });
                  lockstep::set_rollback(fx.db, true);
              });
          }) == "none");
    CHECK_FALSE(hook_ran);
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("After set_rollback(true) a further statement in the block raises usage_error",
          "[atomic]") {
    fixture fx;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "x");
                  lockstep::set_rollback(fx.db, true);
                  create_main(fx, "y");
              });
          }) == "usage_error");
    CHECK(fx.names().empty());
}

TEST_CASE("set_rollback(true) in a receiver inside a nested block rolls back only that savepoint",
          "[atomic][signals]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        if (e.instance.name == "B")
            lockstep::set_rollback(e.db, true);
    });
    atomic(fx.db, [&] {
        create_main(fx, "A");
        atomic(fx.db, [&] { create_main(fx, "B"); });
        create_main(fx, "C");
    });
    CHECK(fx.names() == strings{"A", "C"});
}

TEST_CASE("set_rollback(false) clears a requested rollback", "[atomic]") {
    fixture fx;
    atomic(fx.db, [&] {
        create_main(fx, "kept");
        lockstep::set_rollback(fx.db, true);
        lockstep::set_rollback(fx.db, false);
        CHECK_FALSE(lockstep::get_rollback(fx.db));
    });
    CHECK(fx.names() == strings{"kept"});
}

TEST_CASE("get_rollback and set_rollback outside any atomic block raise usage_error", "[atomic]") {
    fixture fx;
    CHECK(error_class_of([&] { lockstep::get_rollback(fx.db); }) == "usage_error");
    CHECK(error_class_of([&] { lockstep::set_rollback(fx.db, true); }) == "usage_error");
    create_main(fx, "x");
    CHECK(fx.names() == strings{"x"});
}

TEST_CASE("Transaction control through execute raises usage_error and the block still commits",
          "[atomic]") {
    fixture fx;
    atomic(fx.db, [&] {
        create_main(fx, "x");
        CHECK(error_class_of([&] { fx.db.execute("COMMIT"); }) == "usage_error");
        CHECK(error_class_of([&] { fx.db.execute("ROLLBACK"); }) == "usage_error");
        CHECK(error_class_of([&] { fx.db.execute("BEGIN"); }) == "usage_error");
        CHECK(error_class_of([&] { fx.db.execute("SAVEPOINT mine"); }) == "usage_error");
    });
    CHECK(fx.names() == strings{"x"});
}

TEST_CASE("An outermost block can ask for an isolation level; a nested one cannot", "[atomic]") {
    fixture fx;
    atomic(fx.db,
           [&] {
               create_main(fx, "x");
               CHECK(error_class_of([&] {
                         atomic(fx.db, [] {},
                                {.isolation = lockstep::isolation_level::serializable});
                     }) == "usage_error");
           },
           {.isolation = lockstep::isolation_level::serializable});
    CHECK(fx.names() == strings{"x"});
}

namespace {

/// `n` rows named "bulk <i>"; with keys 1..n when `keyed`, and then row `duplicate_at`, if
/// given, repeats key 5.
std::vector<main_model> bulk_rows(int n, bool keyed, int duplicate_at = -1) {
    std::vector<main_model> rows;
    for (int i = 0; i < n; ++i)
        rows.push_back(main_model{.id = keyed ? (i == duplicate_at ? 5 : i + 1) : 0,
                                  .name = "bulk " + std::to_string(i)});
    return rows;
}

} // namespace

TEST_CASE("bulk_insert stores every row of several multi-row statements byte for byte",
          "[atomic][bulk]") {
    fixture fx;
    auto rows = bulk_rows(1200, false);
    rows[777].name = "caf\xC3\xA9 \xF0\x9F\x8D\xB5 '; --"; // multi-byte text, SQL-looking text
    fx.db.bulk_insert(fx.s.main, std::span<const main_model>(rows));
    CHECK(fx.db.count(fx.s.main) == 1200);
    CHECK(fx.db.count(fx.s.main, lockstep::eq(&main_model::name, rows[777].name)) == 1);
    CHECK(fx.db.count(fx.s.main, lockstep::eq(&main_model::name, "bulk 1199")) == 1);
    fx.log("1200 rows stored");
    fx.db.execute("DELETE FROM " + fx.db.quote_identifier(fx.s.main.name())); // a short transcript
}

TEST_CASE("A bulk_insert that fails half-way inside a block leaves none of its rows, and the "
          "block goes on",
          "[atomic][bulk][errors]") {
    fixture fx;
    // Key 5 again in row 1000: the statements before it succeed, the one carrying it fails.
    const auto rows = bulk_rows(1200, true, 1000);
    atomic(fx.db, [&] {
        create_main(fx, "before");
        CHECK(error_class_of([&] {
                  fx.db.bulk_insert(fx.s.main, std::span<const main_model>(rows));
              }) == "integrity_error");
        CHECK(fx.db.count(fx.s.main) == 1); // none of the bulk rows, "before" still there
        create_main(fx, "after");
    });
    CHECK(fx.names() == strings{"after", "before"});
}

TEST_CASE("A bulk_insert that fails half-way outside a block leaves none of its rows",
          "[atomic][bulk][errors]") {
    fixture fx;
    const auto rows = bulk_rows(1200, true, 1000);
    CHECK(error_class_of([&] {
              fx.db.bulk_insert(fx.s.main, std::span<const main_model>(rows));
          }) == "integrity_error");
    CHECK(fx.db.count(fx.s.main) == 0);
}

TEST_CASE("A bulk_insert with one invalid text value sends nothing", "[atomic][bulk][errors]") {
    fixture fx;
    auto rows = bulk_rows(1200, false);
    rows[900].name = "bad \xFF";
    CHECK(error_class_of([&] {
              fx.db.bulk_insert(fx.s.main, std::span<const main_model>(rows));
          }) == "data_error");
    CHECK(fx.db.count(fx.s.main) == 0);
}
