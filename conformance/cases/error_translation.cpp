// The same fault raises the same error class on every engine, and a failed statement poisons
// its block everywhere (semantics 2.1, 6; oracle scenarios 28-38).
// SPDX-License-Identifier: MIT
#include "common.hpp"

using namespace conformance;
using lockstep::atomic;

TEST_CASE("A duplicate value in a unique column raises integrity_error of kind unique",
          "[errors]") {
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "abc"});
    try {
        fx.db.insert(fx.s.uniq, unique_model{.code = "abc"});
        FAIL("the duplicate was stored");
    } catch (const lockstep::integrity_error& e) {
        fx.log(std::string("raised ") + e.kind() + " " + std::string(to_string(e.constraint())));
        CHECK(e.constraint() == lockstep::constraint_kind::unique);
        CHECK(e.engine_name() == fx.db.engine_name());
        CHECK_FALSE(e.native_message().empty());
    }
    CHECK(fx.codes() == strings{"abc"});
}

TEST_CASE("A duplicate primary key raises integrity_error of kind unique", "[errors]") {
    fixture fx;
    const auto row = create_main(fx, "first");
    try {
        fx.db.insert(fx.s.main, main_model{.id = row.id, .name = "second"});
        FAIL("the duplicate key was stored");
    } catch (const lockstep::integrity_error& e) {
        CHECK(e.constraint() == lockstep::constraint_kind::unique);
    }
    CHECK(fx.names() == strings{"first"});
}

TEST_CASE("A child pointing at a missing parent raises a foreign_key integrity_error at the insert",
          "[errors][schema]") {
    // Django defers foreign keys to COMMIT on PostgreSQL and SQLite; Lockstep checks them at
    // the statement on every engine (semantics 5.3).
    fixture fx;
    atomic(fx.db, [&] {
        create_main(fx, "parent");
        try {
            fx.db.insert(fx.s.sig, signal_model{.main_id = 424242, .message = "orphan"});
            fx.db.sync(); // a pipelined connection raises a write's error here (semantics 10.4)
            FAIL("the orphan was stored");
        } catch (const lockstep::integrity_error& e) {
            fx.log(std::string("raised ") + e.kind() + " " +
                   std::string(to_string(e.constraint())));
            CHECK(e.constraint() == lockstep::constraint_kind::foreign_key);
        }
    });
    CHECK(fx.names().empty()); // the failed statement marked the block for rollback
}

TEST_CASE("NULL in a NOT NULL column raises a not_null integrity_error", "[errors]") {
    fixture fx;
    const std::string sql = "INSERT INTO " + fx.db.quote_identifier(fx.s.main.name()) + " (" +
                            fx.db.quote_identifier("name") + ") VALUES (?)";
    try {
        fx.db.execute(sql, nullptr);
        FAIL("NULL was stored");
    } catch (const lockstep::integrity_error& e) {
        CHECK(e.constraint() == lockstep::constraint_kind::not_null);
    }
}

TEST_CASE("A CHECK violation raises a check integrity_error", "[errors]") {
    fixture fx;
    const auto table = fx.db.quote_identifier(fx.s.main.name() + "_checked");
    // With a primary key: a Galera node refuses writes to keyless tables (semantics 8.12).
    fx.db.execute("CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, n INTEGER CHECK (n > 0))");
    try {
        fx.db.execute("INSERT INTO " + table + " (id, n) VALUES (?, ?)", 1, -1);
        FAIL("the check did not hold");
    } catch (const lockstep::integrity_error& e) {
        CHECK(e.constraint() == lockstep::constraint_kind::check);
    }
    fx.db.execute("DROP TABLE " + table);
}

TEST_CASE("A caught failed statement poisons the block: the next statement raises usage_error",
          "[errors][atomic]") {
    // Django: PostgreSQL aborts here, SQLite and MySQL carry on and commit. Lockstep: the same
    // usage_error everywhere (semantics 2.1).
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "before");
                  CHECK(error_class_of([&] {
                            fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
                            fx.db.sync();
                        }) == "integrity_error");
                  create_main(fx, "after");
              });
          }) == "usage_error");
    CHECK(fx.names().empty());
}

TEST_CASE("A block whose failed statement was caught rolls back at exit without an exception",
          "[errors][atomic][hooks]") {
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    bool hook_ran = false;
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "before");
                  lockstep::on_commit(fx.db, [&] { hook_ran = true; });
                  error_class_of([&] {
                      fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
                      fx.db.sync();
                  });
              });
          }) == "none");
    CHECK_FALSE(hook_ran);
    CHECK(fx.names().empty());
}

TEST_CASE("A receiver that catches its own failed insert leaves the caller's block poisoned",
          "[errors][signals]") {
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        try {
            e.db.insert(fx.s.uniq, unique_model{.code = "taken"});
            e.db.sync();
        } catch (const lockstep::integrity_error&) {
            fx.log("receiver caught integrity_error");
        }
    });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "x");
                  fx.db.count(fx.s.main);
              });
          }) == "usage_error");
    CHECK(fx.names().empty());
}

TEST_CASE("set_rollback(false) cannot undo a failed statement", "[errors][atomic]") {
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    atomic(fx.db, [&] {
        error_class_of([&] {
            fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
            fx.db.sync();
        });
        CHECK(error_class_of([&] { lockstep::set_rollback(fx.db, false); }) == "usage_error");
    });
    CHECK(fx.codes() == strings{"taken"});
}

TEST_CASE("A nested block around a failing statement recovers the enclosing block",
          "[errors][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        try {
            atomic(e.db, [&] { e.db.insert(fx.s.uniq, unique_model{.code = "taken"}); });
        } catch (const lockstep::integrity_error&) {
            fx.log("receiver recovered");
        }
        e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id, .message = "after recovery"});
    });
    atomic(fx.db, [&] {
        create_main(fx, "x");
        create_main(fx, "y");
    });
    CHECK(fx.names() == strings{"x", "y"});
    CHECK(fx.messages() == strings{"after recovery", "after recovery"});
}

TEST_CASE("Raw SQL that fails inside a nested block recovers the enclosing block",
          "[errors][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    const auto table = fx.db.quote_identifier(fx.s.uniq.name());
    const auto code = fx.db.quote_identifier("code");
    fx.db.execute("INSERT INTO " + table + " (" + code + ") VALUES (?)", "taken");
    atomic(fx.db, [&] {
        CHECK(error_class_of([&] {
                  atomic(fx.db, [&] {
                      fx.db.execute("INSERT INTO " + table + " (" + code + ") VALUES (?)", "taken");
                  });
              }) == "integrity_error");
        fx.db.execute("INSERT INTO " + table + " (" + code + ") VALUES (?)", "fresh");
    });
    CHECK(fx.codes() == strings{"fresh", "taken"});
}

TEST_CASE("Text longer than the column raises data_error on every engine", "[errors]") {
    // SQLite would store it; Lockstep refuses everywhere (semantics 6.2).
    fixture fx;
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        e.db.insert(fx.s.sig,
                    signal_model{.main_id = e.instance.id, .message = std::string(150, 'x')});
    });
    CHECK(error_class_of([&] { atomic(fx.db, [&] { create_main(fx, "parent"); }); }) ==
          "data_error");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("A row added without its key raises the same error classes as an inserted one",
          "[errors]") {
    fixture fx;
    CHECK(error_class_of([&] {
              fx.db.add(fx.s.main, main_model{.name = std::string(150, 'x')});
          }) == "data_error");
    CHECK(error_class_of([&] {
              fx.db.add(fx.s.sig, signal_model{.main_id = 424242, .message = "orphan"});
          }) == "integrity_error");
    CHECK(fx.names().empty());
    CHECK(fx.messages().empty());
}

TEST_CASE("Text of exactly the column's length in multibyte characters is stored", "[errors]") {
    fixture fx;
    std::string name;
    for (int i = 0; i < 100; ++i)
        name += "\xC3\xA9"; // é: 100 characters, 200 bytes
    create_main(fx, name);
    CHECK(fx.names() == strings{name});
}

TEST_CASE("Invalid UTF-8 and NUL characters raise data_error before reaching the engine",
          "[errors]") {
    fixture fx;
    CHECK(error_class_of([&] { create_main(fx, "bad \xFF byte"); }) == "data_error");
    CHECK(error_class_of([&] { create_main(fx, std::string("nul\0inside", 10)); }) == "data_error");
    CHECK(error_class_of([&] { fx.db.query("SELECT ?", std::string("\xC0\xAF")); }) ==
          "data_error");
    CHECK(fx.names().empty());
}

TEST_CASE("Text a pre_save receiver puts into the row is checked before the row is written",
          "[errors][signals]") {
    // The check runs again after pre_save receivers, which may change the row (semantics 3.2, 6.2).
    fixture fx;
    auto sub = lockstep::pre_save.connect(fx.s.main, [&](const lockstep::saving<main_model>& e) {
        e.instance.name += std::string(100, 'x'); // now longer than the column's 100
    });
    CHECK(error_class_of([&] { create_main(fx, "outside"); }) == "data_error");
    CHECK(error_class_of([&] { atomic(fx.db, [&] { create_main(fx, "inside"); }); }) ==
          "data_error");
    CHECK(fx.names().empty());
}

TEST_CASE("A validation error inside a block leaves the block usable", "[errors][atomic]") {
    fixture fx;
    atomic(fx.db, [&] {
        create_main(fx, "kept");
        CHECK(error_class_of([&] { create_main(fx, std::string(101, 'x')); }) == "data_error");
        CHECK_FALSE(lockstep::get_rollback(fx.db));
        create_main(fx, "also kept");
    });
    CHECK(fx.names() == strings{"also kept", "kept"});
}

TEST_CASE("A syntax error raises statement_error", "[errors]") {
    fixture fx;
    CHECK(error_class_of([&] { fx.db.execute("INSERT INTO nowhere VALUES ((("); }) ==
          "statement_error");
    CHECK(error_class_of([&] { fx.db.query("SELECT * FROM no_such_table_anywhere"); }) ==
          "statement_error");
}

TEST_CASE("Text equality and uniqueness are exact, byte for byte", "[errors][schema]") {
    // MariaDB's default collation treats 'ABC' and 'abc ' as duplicates of 'abc' (semantics 5.5).
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    fx.db.insert(fx.s.uniq, unique_model{.code = "abc"});
    atomic(fx.db, [&] {
        for (const std::string code : {"ABC", "abc ", "abc"}) {
            const auto kind = error_class_of([&] {
                atomic(fx.db, [&] { fx.db.insert(fx.s.uniq, unique_model{.code = code}); });
            });
            CHECK(kind == (code == "abc" ? "integrity_error" : "none"));
        }
    });
    CHECK(fx.codes() == strings{"ABC", "abc", "abc "});
    CHECK(fx.db.count(fx.s.uniq, lockstep::eq(&unique_model::code, "abc")) == 1);
}

TEST_CASE("Errors never contain bound values", "[errors]") {
    fixture fx;
    fx.db.insert(fx.s.uniq, unique_model{.code = "secret-value-123"});
    try {
        fx.db.insert(fx.s.uniq, unique_model{.code = "secret-value-123"});
        FAIL("the duplicate was stored");
    } catch (const lockstep::error& e) {
        CHECK(std::string(e.what()).find("secret-value-123") == std::string::npos);
        CHECK(e.statement().find("secret-value-123") == std::string::npos);
    }
}

TEST_CASE("A write that fails in a nested block fails that block, with its hooks, and no other, "
          "wherever the engine reports it",
          "[errors][savepoints][hooks]") {
    // Without a pipeline the INSERT raises at once; with PostgreSQL's pipeline=on the block's
    // exit raises it (semantics 10.4). Either way it leaves the nested block.
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_savepoints, "the engine has no savepoints");
    auto sub = connect_child_creator(fx);
    fx.db.insert(fx.s.uniq, unique_model{.code = "taken"});
    atomic(fx.db, [&] {
        create_main(fx, "kept");
        const auto kind = error_class_of([&] {
            atomic(fx.db, [&] {
                lockstep::on_commit(fx.db, [&] { fx.log("inner on_commit ran"); });
                lockstep::on_rollback(fx.db, [&] { fx.log("inner on_rollback ran"); });
                create_main(fx, "undone");
                fx.db.add(fx.s.uniq, unique_model{.code = "taken"});
                fx.db.add(fx.s.audit, audit_log{.action = "after the duplicate"});
            });
        });
        CHECK(kind == "integrity_error");
        CHECK(fx.db.count(fx.s.main) == 1); // the outer block goes on, and sees its own row
        lockstep::on_commit(fx.db, [&] { fx.log("outer on_commit ran"); });
    });
    CHECK(fx.names() == strings{"kept"});
    CHECK(fx.messages() == strings{"child of kept"});
    CHECK(fx.actions().empty());
}
