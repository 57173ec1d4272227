// Deletion: signals for the deleted row, cascades and other on_delete rules inside the same unit
// (semantics 3.3, 5.3; oracle scenarios 69-74).
// SPDX-License-Identifier: MIT
#include "common.hpp"

using namespace conformance;
using lockstep::atomic;

namespace {

struct delete_logger {
    lockstep::subscription pre, post;
    delete_logger(fixture& fx) {
        pre =
            lockstep::pre_delete.connect(fx.s.main, [&fx](const lockstep::deleting<main_model>& e) {
                fx.log("pre_delete " + e.instance.name);
                e.db.insert(fx.s.audit, audit_log{.action = "pre_delete " + e.instance.name});
            });
        post =
            lockstep::post_delete.connect(fx.s.main, [&fx](const lockstep::deleted<main_model>& e) {
                fx.log("post_delete " + e.instance.name);
                e.db.insert(fx.s.audit, audit_log{.action = "post_delete " + e.instance.name});
            });
    }
};

main_model parent_with_children(fixture& fx, const std::string& name, int children) {
    auto parent = create_main(fx, name);
    for (int i = 1; i <= children; ++i)
        fx.db.insert(fx.s.sig, signal_model{.main_id = parent.id,
                                            .message = name + " child " + std::to_string(i)});
    return parent;
}

} // namespace

TEST_CASE("A delete with receivers rolls back with its block and restores the children",
          "[signals][delete]") {
    fixture fx;
    const auto victim = parent_with_children(fx, "victim", 2);
    delete_logger logger(fx);
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  CHECK(fx.db.remove(fx.s.main, victim));
                  CHECK(fx.db.count(fx.s.sig) == 0);
                  throw boom();
              });
          }) == "boom");
    CHECK(fx.names() == strings{"victim"});
    CHECK(fx.messages() == strings{"victim child 1", "victim child 2"});
    CHECK(fx.actions().empty());
}

TEST_CASE("A committed delete cascades to the children and signals only the deleted row",
          "[signals][delete]") {
    fixture fx;
    const auto victim = parent_with_children(fx, "victim", 2);
    create_main(fx, "bystander");
    delete_logger logger(fx);
    atomic(fx.db, [&] { CHECK(fx.db.remove(fx.s.main, victim)); });
    CHECK(fx.names() == strings{"bystander"});
    CHECK(fx.messages().empty());
    CHECK(fx.actions() == strings{"post_delete victim", "pre_delete victim"});
}

TEST_CASE("A cascading delete without receivers rolls back with its block", "[delete]") {
    fixture fx;
    const auto victim = parent_with_children(fx, "victim", 2);
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  fx.db.remove(fx.s.main, victim);
                  throw boom();
              });
          }) == "boom");
    CHECK(fx.names() == strings{"victim"});
    CHECK(fx.messages().size() == 2);
}

TEST_CASE("Outside any block a post_delete receiver that throws undoes the delete",
          "[signals][delete]") {
    fixture fx;
    const auto victim = parent_with_children(fx, "victim", 1);
    auto sub = lockstep::post_delete.connect(
        fx.s.main, [](const lockstep::deleted<main_model>&) { throw boom(); });
    CHECK(error_class_of([&] { fx.db.remove(fx.s.main, victim); }) == "boom");
    CHECK(fx.names() == strings{"victim"});
    CHECK(fx.messages() == strings{"victim child 1"});
}

TEST_CASE("Outside any block a pre_delete receiver that throws deletes nothing and keeps no log",
          "[signals][delete]") {
    fixture fx;
    const auto victim = parent_with_children(fx, "victim", 1);
    auto sub =
        lockstep::pre_delete.connect(fx.s.main, [&](const lockstep::deleting<main_model>& e) {
            e.db.insert(fx.s.audit, audit_log{.action = "pre_delete " + e.instance.name});
            throw boom();
        });
    CHECK(error_class_of([&] { fx.db.remove(fx.s.main, victim); }) == "boom");
    CHECK(fx.names() == strings{"victim"});
    CHECK(fx.actions().empty());
}

TEST_CASE("A caught post_delete receiver error still rolls the whole block back",
          "[signals][delete]") {
    fixture fx;
    const auto victim = parent_with_children(fx, "victim", 1);
    auto sub = lockstep::post_delete.connect(
        fx.s.main, [](const lockstep::deleted<main_model>&) { throw boom(); });
    atomic(fx.db, [&] {
        create_main(fx, "new");
        CHECK(error_class_of([&] { fx.db.remove(fx.s.main, victim); }) == "boom");
    });
    CHECK(fx.names() == strings{"victim"});
}

TEST_CASE("Deleting a parent that a restrict child points at raises a foreign_key integrity_error",
          "[delete][errors]") {
    fixture fx;
    const auto parent = create_main(fx, "guarded");
    fx.db.insert(fx.s.guards, guard_model{.main_id = parent.id});
    try {
        fx.db.remove(fx.s.main, parent);
        FAIL("the delete went through");
    } catch (const lockstep::integrity_error& e) {
        fx.log(std::string("raised ") + e.kind() + " " + std::string(to_string(e.constraint())));
        CHECK(e.constraint() == lockstep::constraint_kind::foreign_key);
    }
    CHECK(fx.names() == strings{"guarded"});
}

TEST_CASE("Deleting a parent sets the key of its set_null children to NULL", "[delete]") {
    fixture fx;
    const auto parent = create_main(fx, "parent");
    fx.db.insert(fx.s.notes, note_model{.main_id = parent.id, .note = "n"});
    CHECK(fx.db.remove(fx.s.main, parent));
    const auto notes = fx.db.all(fx.s.notes);
    REQUIRE(notes.size() == 1);
    CHECK_FALSE(notes[0].main_id.has_value());
    CHECK(fx.db.count(fx.s.notes, lockstep::eq(&note_model::main_id, std::nullopt)) == 1);
}

TEST_CASE("Deleting a row that does not exist returns false and sends no post_delete",
          "[delete][signals]") {
    fixture fx;
    auto row = create_main(fx, "x");
    CHECK(fx.db.remove(fx.s.main, row));
    int post = 0;
    auto sub = lockstep::post_delete.connect(fx.s.main,
                                             [&](const lockstep::deleted<main_model>&) { ++post; });
    CHECK_FALSE(fx.db.remove(fx.s.main, row));
    CHECK(post == 0);
}
