// Manual savepoints and generated savepoint names (semantics 1.6, 4.2; oracle scenarios 24-27, 36).
// SPDX-License-Identifier: MIT
#include "common.hpp"

using namespace conformance;
using lockstep::atomic;

TEST_CASE("Rolling back a manual savepoint undoes its rows and discards its hooks",
          "[savepoints][hooks]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = connect_child_creator(fx);
    strings hooks;
    atomic(fx.db, [&] {
        create_main(fx, "A");
        lockstep::on_commit(fx.db, [&] { hooks.push_back("A"); });
        lockstep::savepoint sp(fx.db);
        create_main(fx, "B");
        lockstep::on_commit(fx.db, [&] { hooks.push_back("B"); });
        sp.rollback();
        sp.release();
    });
    fx.log("hooks " + std::to_string(hooks.size()));
    CHECK(hooks == strings{"A"});
    CHECK(fx.names() == strings{"A"});
    CHECK(fx.messages() == strings{"child of A"});
}

TEST_CASE("A savepoint outside an atomic block is a usage error", "[savepoints]") {
    fixture fx;
    CHECK(error_class_of([&] { lockstep::savepoint sp(fx.db); }) == "usage_error");
    create_main(fx, "x");
    CHECK(fx.names() == strings{"x"});
}

TEST_CASE("Using a savepoint after it was released raises usage_error", "[savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    atomic(fx.db, [&] {
        lockstep::savepoint sp(fx.db);
        create_main(fx, "x");
        sp.release();
        CHECK_FALSE(sp.is_open());
        CHECK(error_class_of([&] { sp.rollback(); }) == "usage_error");
        create_main(fx, "y"); // the block is still usable
    });
    CHECK(fx.names() == strings{"x", "y"});
}

TEST_CASE("A savepoint left open when its atomic block exits becomes part of that block",
          "[savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    std::optional<lockstep::savepoint> sp;
    atomic(fx.db, [&] {
        atomic(fx.db, [&] {
            sp.emplace(fx.db);
            create_main(fx, "inner");
        });
        CHECK_FALSE(sp->is_open());
        CHECK(error_class_of([&] { sp->release(); }) == "usage_error");
    });
    CHECK(fx.names() == strings{"inner"});
}

TEST_CASE("Rolling back to a manual savepoint recovers from a failed statement", "[savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    atomic(fx.db, [&] {
        create_main(fx, "kept");
        lockstep::savepoint sp(fx.db);
        CHECK(error_class_of([&] { fx.db.execute("SELECT no_such_column FROM no_such_table"); }) ==
              "statement_error");
        CHECK(error_class_of([&] { create_main(fx, "refused"); }) == "usage_error");
        sp.rollback();
        create_main(fx, "after");
    });
    CHECK(fx.names() == strings{"after", "kept"});
}

TEST_CASE("Savepoint names are generated and work fifty levels deep", "[savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    std::function<void(int)> nest = [&](int depth) {
        if (depth == 0) {
            create_main(fx, "deepest");
            return;
        }
        atomic(fx.db, [&] { nest(depth - 1); });
    };
    atomic(fx.db, [&] { nest(50); });
    CHECK(fx.names() == strings{"deepest"});
}

TEST_CASE("Sibling savepoints roll back independently", "[savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    atomic(fx.db, [&] {
        for (const std::string name : {"1", "2", "3"}) {
            const auto kind = error_class_of([&] {
                atomic(fx.db, [&] {
                    create_main(fx, name);
                    if (name == "2")
                        throw boom();
                });
            });
            CHECK(kind == (name == "2" ? "boom" : "none"));
        }
    });
    CHECK(fx.names() == strings{"1", "3"});
}
