// on_commit and on_rollback hooks (semantics 4; oracle scenarios 47-62).
// SPDX-License-Identifier: MIT
#include "common.hpp"

using namespace conformance;
using lockstep::atomic;
using lockstep::on_commit;
using lockstep::on_rollback;

namespace {

/// A receiver that registers an on_commit hook named after each new main row.
lockstep::subscription connect_hook_registrar(fixture& fx, strings& hooks) {
    return lockstep::post_save.connect(fx.s.main,
                                       [&fx, &hooks](const lockstep::saved<main_model>& e) {
                                           const auto name = e.instance.name;
                                           on_commit(e.db, [&fx, &hooks, name] {
                                               fx.log("hook " + name);
                                               hooks.push_back(name);
                                           });
                                       });
}

} // namespace

TEST_CASE("A hook registered by a receiver in a nested block runs only after the outermost commit",
          "[hooks][signals]") {
    fixture fx;
    strings hooks;
    auto sub = connect_hook_registrar(fx, hooks);
    atomic(fx.db, [&] {
        atomic(fx.db, [&] { create_main(fx, "A"); });
        CHECK(hooks.empty());
    });
    CHECK(hooks == strings{"A"});
}

TEST_CASE("Hooks of a released savepoint are discarded when the outer block rolls back",
          "[hooks]") {
    fixture fx;
    strings hooks;
    auto sub = connect_hook_registrar(fx, hooks);
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  atomic(fx.db, [&] { create_main(fx, "A"); });
                  throw boom();
              });
          }) == "boom");
    CHECK(hooks.empty());
    CHECK(fx.names().empty());
}

TEST_CASE("Hooks registered in a rolled-back sibling savepoint are discarded",
          "[hooks][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    strings hooks;
    auto sub = connect_hook_registrar(fx, hooks);
    atomic(fx.db, [&] {
        for (const std::string name : {"1", "2", "3"})
            error_class_of([&] {
                atomic(fx.db, [&] {
                    create_main(fx, name);
                    if (name == "2")
                        throw boom();
                });
            });
    });
    CHECK(hooks == strings{"1", "3"});
}

TEST_CASE("A hook registered in a released savepoint runs once at the outer commit", "[hooks]") {
    fixture fx;
    int runs = 0;
    atomic(fx.db, [&] {
        atomic(fx.db, [&] {
            create_main(fx, "B");
            on_commit(fx.db, [&] { ++runs; });
        });
    });
    CHECK(runs == 1);
}

TEST_CASE("Hooks run in registration order across blocks and receivers", "[hooks]") {
    fixture fx;
    strings hooks;
    auto sub = connect_hook_registrar(fx, hooks);
    atomic(fx.db, [&] {
        create_main(fx, "1");
        atomic(fx.db, [&] {
            on_commit(fx.db, [&] { hooks.push_back("direct"); });
            create_main(fx, "2");
        });
        create_main(fx, "3");
    });
    CHECK(hooks == strings{"1", "direct", "2", "3"});
}

TEST_CASE("Outside a block a hook registered by a receiver runs before the write returns",
          "[hooks][signals]") {
    fixture fx;
    strings hooks;
    auto sub = connect_hook_registrar(fx, hooks);
    create_main(fx, "x");
    CHECK(hooks == strings{"x"});
    on_commit(fx.db, [&] { hooks.push_back("immediate"); });
    CHECK(hooks == strings{"x", "immediate"});
}

TEST_CASE("A throwing hook does not stop later hooks and its error reaches the caller", "[hooks]") {
    // Django drops the later hooks; Lockstep runs them all, then rethrows (semantics 4.4).
    fixture fx;
    strings hooks;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "1");
                  on_commit(fx.db, [&] { hooks.push_back("1"); });
                  on_commit(fx.db, [&] { throw boom(); });
                  on_commit(fx.db, [&] { hooks.push_back("3"); });
              });
          }) == "boom");
    CHECK(hooks == strings{"1", "3"});
    CHECK(fx.names() == strings{"1"});
}

TEST_CASE("After a throwing hook the next transaction's hooks are clean", "[hooks]") {
    fixture fx;
    strings hooks;
    error_class_of([&] {
        atomic(fx.db, [&] {
            on_commit(fx.db, [&] { throw boom(); });
            on_commit(fx.db, [&] { hooks.push_back("later"); });
        });
    });
    atomic(fx.db, [&] { on_commit(fx.db, [&] { hooks.push_back("next"); }); });
    CHECK(hooks == strings{"later", "next"});
}

TEST_CASE("A robust hook's error goes to the log and is not thrown", "[hooks]") {
    fixture fx;
    std::vector<std::string> logged;
    lockstep::set_log_sink(
        [&](lockstep::log_level, std::string_view m) { logged.emplace_back(m); });
    bool later_ran = false;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  on_commit(
                      fx.db, [] { throw boom(); }, true);
                  on_commit(fx.db, [&] { later_ran = true; });
              });
          }) == "none");
    lockstep::set_log_sink({});
    CHECK(later_ran);
    REQUIRE(logged.size() == 1);
    CHECK_THAT(logged[0], Catch::Contains("boom"));
}

TEST_CASE("A hook that opens a block and writes commits its rows and their signals", "[hooks]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] {
        on_commit(fx.db, [&] { atomic(fx.db, [&] { create_main(fx, "from hook"); }); });
    });
    CHECK(fx.names() == strings{"from hook"});
    CHECK(fx.messages() == strings{"child of from hook"});
}

TEST_CASE("A hook registered while hooks run runs at once", "[hooks]") {
    fixture fx;
    std::vector<int> order;
    atomic(fx.db, [&] {
        on_commit(fx.db, [&] {
            order.push_back(1);
            on_commit(fx.db, [&] { order.push_back(11); });
        });
        on_commit(fx.db, [&] {
            order.push_back(2);
            on_commit(fx.db, [&] { order.push_back(12); });
        });
    });
    CHECK(order == std::vector<int>{1, 11, 2, 12});
}

TEST_CASE("Hooks inside a savepoint that a failing block without savepoint rolls back are "
          "discarded",
          "[hooks]") {
    fixture fx;
    strings hooks;
    atomic(fx.db, [&] {
        atomic(fx.db, [&] {
            create_main(fx, "1");
            on_commit(fx.db, [&] { hooks.push_back("1"); });
            error_class_of([&] { atomic(fx.db, [] { throw boom(); }, {.savepoint = false}); });
        });
    });
    CHECK(hooks.empty());
    CHECK(fx.names().empty());
}

TEST_CASE("A hook of a released inner savepoint is discarded when its parent savepoint rolls back",
          "[hooks][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    strings hooks;
    atomic(fx.db, [&] {
        error_class_of([&] {
            atomic(fx.db, [&] {
                atomic(fx.db, [&] { on_commit(fx.db, [&] { hooks.push_back("1"); }); });
                throw boom();
            });
        });
        on_commit(fx.db, [&] { hooks.push_back("2"); });
    });
    CHECK(hooks == strings{"2"});
}

TEST_CASE("Hooks registered before set_rollback(true) are discarded at block exit", "[hooks]") {
    fixture fx;
    bool ran = false;
    atomic(fx.db, [&] {
        on_commit(fx.db, [&] { ran = true; });
        lockstep::set_rollback(fx.db, true);
    });
    CHECK_FALSE(ran);
}

TEST_CASE("on_rollback runs after its block rolls back and never after a commit", "[hooks]") {
    fixture fx;
    strings ran;
    atomic(fx.db, [&] {
        on_rollback(fx.db, [&] { ran.push_back("committed block"); });
        error_class_of([&] {
            atomic(fx.db, [&] {
                create_main(fx, "gone");
                on_rollback(fx.db, [&] {
                    ran.push_back("inner rolled back");
                    fx.log("on_rollback inner");
                });
                throw boom();
            });
        });
        CHECK(ran == strings{"inner rolled back"});
    });
    error_class_of([&] {
        atomic(fx.db, [&] {
            on_rollback(fx.db, [&] { ran.push_back("outer rolled back"); });
            throw boom();
        });
    });
    CHECK(ran == strings{"inner rolled back", "outer rolled back"});
}

TEST_CASE("on_rollback outside any atomic block is a usage error", "[hooks]") {
    fixture fx;
    CHECK(error_class_of([&] { on_rollback(fx.db, [] {}); }) == "usage_error");
}

TEST_CASE("A hook registered in a retried attempt runs only for the attempt that commits",
          "[hooks][retry]") {
    fixture fx;
    int attempts = 0;
    strings hooks;
    lockstep::retry(fx.db, [&] {
        ++attempts;
        create_main(fx, "attempt " + std::to_string(attempts));
        on_commit(fx.db, [&hooks, attempts] { hooks.push_back(std::to_string(attempts)); });
        if (attempts == 1)
            throw lockstep::transaction_conflict("simulated conflict on the first attempt");
    });
    CHECK(attempts == 2);
    CHECK(hooks == strings{"2"});
    CHECK(fx.names() == strings{"attempt 2"});
}
