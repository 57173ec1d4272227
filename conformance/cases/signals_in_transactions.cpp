// Signals run inside the caller's transaction (semantics 3.1-3.2; oracle scenarios 1-17). The seed
// scenario lives here.
// SPDX-License-Identifier: MIT
#include "common.hpp"

using namespace conformance;
using lockstep::atomic;

TEST_CASE("Rows written by a post_save receiver roll back with the atomic block that saved the "
          "sender",
          "[signals][atomic][seed]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "seed");
                  CHECK(fx.db.exists(fx.s.main, lockstep::eq(&main_model::name, "seed")));
                  CHECK(fx.db.count(fx.s.sig) == 1);
                  throw boom();
              });
          }) == "boom");
    CHECK_FALSE(fx.db.exists(fx.s.main));
    CHECK_FALSE(fx.db.exists(fx.s.sig));
}

TEST_CASE("Rows written by a post_save receiver commit with the block that saved the sender",
          "[signals][atomic][seed]") {
    fixture fx;
    auto sub = connect_child_creator(fx);
    atomic(fx.db, [&] { create_main(fx, "seed"); });
    CHECK(fx.names() == strings{"seed"});
    CHECK(fx.messages() == strings{"child of seed"});
}

TEST_CASE("Outside any block a post_save receiver that throws leaves neither row", "[signals]") {
    // Django commits the sender before post_save runs; Lockstep makes the write and its signals
    // one unit (semantics 3.2).
    fixture fx;
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = "partial"});
        throw boom();
    });
    CHECK(error_class_of([&] { create_main(fx, "x"); }) == "boom");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("Inside a block a post_save receiver that throws rolls back the sender and its rows",
          "[signals]") {
    fixture fx;
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = "partial"});
        throw boom();
    });
    CHECK(error_class_of([&] { atomic(fx.db, [&] { create_main(fx, "x"); }); }) == "boom");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("Outside any block a pre_save receiver that throws leaves no row", "[signals]") {
    fixture fx;
    auto sub = lockstep::pre_save.connect(
        fx.s.main, [](const lockstep::saving<main_model>&) { throw boom(); });
    CHECK(error_class_of([&] { create_main(fx, "x"); }) == "boom");
    CHECK(fx.names().empty());
}

TEST_CASE("Outside any block a pre_save receiver's own write rolls back when it throws",
          "[signals]") {
    // Django commits the receiver's AuditLog row here; in Lockstep the unit rolls it back.
    fixture fx;
    auto sub = lockstep::pre_save.connect(fx.s.main, [&](const lockstep::saving<main_model>& e) {
        e.db.insert(fx.s.audit, audit_log{.action = "pre_save " + e.instance.name});
        throw boom();
    });
    CHECK(error_class_of([&] { create_main(fx, "x"); }) == "boom");
    CHECK(fx.names().empty());
    CHECK(fx.actions().empty());
}

TEST_CASE("Inside a block a pre_save receiver's write rolls back with the block", "[signals]") {
    fixture fx;
    auto sub = lockstep::pre_save.connect(fx.s.main, [&](const lockstep::saving<main_model>& e) {
        e.db.insert(fx.s.audit, audit_log{.action = "pre_save " + e.instance.name});
        throw boom();
    });
    CHECK(error_class_of([&] { atomic(fx.db, [&] { create_main(fx, "x"); }); }) == "boom");
    CHECK(fx.actions().empty());
}

TEST_CASE("A caller that catches a post_save receiver's exception still has its block rolled back",
          "[signals][atomic]") {
    // Django commits the sender and the receiver's partial rows here (semantics 9).
    fixture fx;
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = "partial"});
        if (e.instance.name == "bad")
            throw boom();
    });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "before");
                  CHECK(error_class_of([&] { create_main(fx, "bad"); }) == "boom");
                  CHECK(lockstep::get_rollback(fx.db));
              });
          }) == "none");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("A caller's savepoint around a save recovers from the receiver's failure",
          "[signals][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id,
                                           .message = "child of " + e.instance.name});
        if (e.instance.name == "bad")
            throw boom();
    });
    atomic(fx.db, [&] {
        create_main(fx, "good");
        CHECK(error_class_of([&] { atomic(fx.db, [&] { create_main(fx, "bad"); }); }) == "boom");
        create_main(fx, "later");
    });
    CHECK(fx.names() == strings{"good", "later"});
    CHECK(fx.messages() == strings{"child of good", "child of later"});
}

TEST_CASE("A receiver's own atomic block that fails rolls back only the receiver's work",
          "[signals][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        try {
            atomic(e.db, [&] {
                e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = "doomed"});
                throw boom();
            });
        } catch (const boom&) {
            fx.log("receiver caught boom");
        }
    });
    atomic(fx.db, [&] { create_main(fx, "parent"); });
    CHECK(fx.names() == strings{"parent"});
    CHECK(fx.messages().empty());
}

TEST_CASE("Updating a row sends pre_save and post_save with created false", "[signals]") {
    fixture fx;
    strings seen;
    auto pre = lockstep::pre_save.connect(fx.s.main, [&](const lockstep::saving<main_model>& e) {
        seen.push_back("pre " + e.instance.name + (e.created ? " created" : " updated"));
    });
    auto post = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        seen.push_back("post " + e.instance.name + (e.created ? " created" : " updated"));
    });
    auto row = create_main(fx, "u");
    row.name = "u2";
    CHECK(fx.db.save(fx.s.main, row) == false);
    CHECK(fx.db.update(fx.s.main, row));
    for (const auto& s : seen)
        fx.log(s);
    CHECK(seen == strings{"pre u created", "post u created", "pre u2 updated", "post u2 updated",
                          "pre u2 updated", "post u2 updated"});
    CHECK(fx.names() == strings{"u2"});
}

TEST_CASE("save() inserts a row whose key matches no row, with created true", "[signals]") {
    fixture fx;
    main_model row{.id = 900001, .name = "given key"};
    CHECK(fx.db.save(fx.s.main, row));
    CHECK(row.id == 900001);
    CHECK(fx.db.get(fx.s.main, 900001)->name == "given key");
}

TEST_CASE("Rows created by receivers send their own signals depth-first and commit together",
          "[signals]") {
    fixture fx;
    auto parent = connect_child_creator(fx);
    auto child = lockstep::post_save.connect(fx.s.sig, [&](const lockstep::saved<signal_model>& e) {
        fx.log("post_save sig '" + e.instance.message + "'");
        e.db.insert(fx.s.audit, audit_log{.action = "logged " + e.instance.message});
    });
    atomic(fx.db, [&] { create_main(fx, "x"); });
    CHECK(fx.names() == strings{"x"});
    CHECK(fx.messages() == strings{"child of x"});
    CHECK(fx.actions() == strings{"logged child of x"});
}

TEST_CASE("A chain of rows created by receivers rolls back together", "[signals]") {
    fixture fx;
    auto parent = connect_child_creator(fx);
    auto child = lockstep::post_save.connect(fx.s.sig, [&](const lockstep::saved<signal_model>& e) {
        e.db.insert(fx.s.audit, audit_log{.action = "logged " + e.instance.message});
    });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "x");
                  throw boom();
              });
          }) == "boom");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
    CHECK(fx.actions().empty());
}

TEST_CASE("A pre_save receiver may change the instance before it is written", "[signals]") {
    fixture fx;
    auto sub = lockstep::pre_save.connect(
        fx.s.main, [](const lockstep::saving<main_model>& e) { e.instance.name += " (checked)"; });
    const auto row = create_main(fx, "x");
    CHECK(row.name == "x (checked)");
    CHECK(fx.names() == strings{"x (checked)"});
}

TEST_CASE("A post_save receiver sees the key the engine gave the new row", "[signals]") {
    fixture fx;
    std::int64_t seen_key = 0;
    auto sub = lockstep::post_save.connect(
        fx.s.main, [&](const lockstep::saved<main_model>& e) { seen_key = e.instance.id; });
    const auto row = create_main(fx, "x");
    CHECK(seen_key != 0);
    CHECK(seen_key == row.id);
}

TEST_CASE("Rows a post_save receiver adds without reading their keys commit and roll back with "
          "the sender's block",
          "[signals][atomic]") {
    fixture fx;
    auto sub = lockstep::post_save.connect(fx.s.main, [&fx](const lockstep::saved<main_model>& e) {
        e.db.add(fx.s.sig,
                 signal_model{.main_id = e.instance.id, .message = "added for " + e.instance.name});
    });
    main_model kept;
    atomic(fx.db, [&] { kept = create_main(fx, "kept"); });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "undone");
                  CHECK(fx.db.count(fx.s.sig) == 2);
                  throw boom();
              });
          }) == "boom");
    CHECK(fx.names() == strings{"kept"});
    CHECK(fx.messages() == strings{"added for kept"});
    CHECK(fx.db.count(fx.s.sig, lockstep::eq(&signal_model::main_id, kept.id)) == 1);
}

TEST_CASE("A post_save receiver of a row added without its key still sees the key the engine "
          "gave it",
          "[signals]") {
    fixture fx;
    std::int64_t seen_key = 0;
    auto sub = lockstep::post_save.connect(
        fx.s.sig, [&](const lockstep::saved<signal_model>& e) { seen_key = e.instance.id; });
    const auto parent = create_main(fx, "parent");
    fx.db.add(fx.s.sig, signal_model{.main_id = parent.id, .message = "watched"});
    REQUIRE(seen_key != 0);
    const auto row = fx.db.get(fx.s.sig, seen_key);
    REQUIRE(row.has_value());
    CHECK(row->message == "watched");
}
