// Schema changes and engine limits: DDL in blocks, locking reads, keys after rollback
// (semantics 5; oracle scenarios 41, 93-95, 104-105).
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <cstdio>
#include <memory>
#include <unistd.h>

using namespace conformance;
using lockstep::atomic;

namespace {

struct probe_model {
    std::int64_t id = 0;
    std::string label;
};

/// What the process writes to its standard error stream (descriptor 2) while `f` runs: libpq
/// and the engines' client libraries write there directly, not through std::cerr.
template <class F> std::string stderr_of(F&& f) {
    std::fflush(stderr);
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> capture(std::tmpfile(), &std::fclose);
    REQUIRE(capture);
    const int saved = ::dup(2);
    REQUIRE(saved >= 0);
    struct restore {
        int saved;
        ~restore() {
            std::fflush(stderr);
            ::dup2(saved, 2);
            ::close(saved);
        }
    };
    {
        const restore back{saved};
        // Checked: a redirection that failed would capture nothing, and the case would pass.
        REQUIRE(::dup2(::fileno(capture.get()), 2) == 2);
        f();
    }
    std::string written;
    std::rewind(capture.get());
    for (int c; (c = std::fgetc(capture.get())) != EOF;)
        written += static_cast<char>(c);
    return written;
}

bool table_exists(lockstep::connection& db, const std::string& name) {
    try {
        db.query("SELECT COUNT(*) FROM " + db.quote_identifier(name));
        return true;
    } catch (const lockstep::statement_error&) {
        return false;
    }
}

} // namespace

TEST_CASE("DDL inside a rolled-back atomic block leaves no table behind", "[schema][atomic]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().can_rollback_ddl,
                             "the engine commits DDL implicitly, so Lockstep refuses it in blocks");
    const lockstep::table<probe_model> probe(fx.s.main.name() + "_probe",
                                             {lockstep::primary_key(&probe_model::id, "id"),
                                              lockstep::column(&probe_model::label, "label")});
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "before ddl");
                  fx.db.create_tables(probe);
                  fx.db.insert(probe, probe_model{.label = "inside"});
                  create_main(fx, "after ddl");
                  throw boom();
              });
          }) == "boom");
    CHECK_FALSE(table_exists(fx.db, probe.name()));
    CHECK(fx.names().empty());
}

TEST_CASE("DDL inside a nested block rolls back with its savepoint", "[schema][savepoints]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().can_rollback_ddl,
                             "the engine commits DDL implicitly, so Lockstep refuses it in blocks");
    const auto name = fx.s.main.name() + "_nested_probe";
    const auto quoted = fx.db.quote_identifier(name);
    atomic(fx.db, [&] {
        create_main(fx, "before");
        CHECK(error_class_of([&] {
                  atomic(fx.db, [&] {
                      fx.db.execute("CREATE TABLE " + quoted + " (a INTEGER)");
                      throw boom();
                  });
              }) == "boom");
        create_main(fx, "after");
    });
    CHECK_FALSE(table_exists(fx.db, name));
    CHECK(fx.names() == strings{"after", "before"});
}

TEST_CASE("DDL inside a block is refused before sending where the engine cannot roll it back",
          "[schema][atomic]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(!fx.db.features().can_rollback_ddl,
                             "the engine rolls DDL back, so DDL inside blocks is allowed");
    const auto quoted = fx.db.quote_identifier(fx.s.main.name() + "_refused");
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "before ddl");
                  fx.db.execute("CREATE TABLE " + quoted + " (a INTEGER)");
              });
          }) == "usage_error");
    CHECK(fx.names().empty());
}

TEST_CASE("create_tables outside a block creates every table", "[schema]") {
    fixture fx;
    const lockstep::table<probe_model> probe(fx.s.main.name() + "_created",
                                             {lockstep::primary_key(&probe_model::id, "id"),
                                              lockstep::column(&probe_model::label, "label")});
    fx.db.create_tables(probe);
    fx.db.insert(probe, probe_model{.label = "works"});
    CHECK(fx.db.count(probe) == 1);
    fx.db.drop_tables(probe);
    CHECK_FALSE(table_exists(fx.db, probe.name()));
}

TEST_CASE("Dropping tables that do not exist writes nothing to standard error", "[schema]") {
    // PostgreSQL answers DROP TABLE IF EXISTS with a NOTICE, which libpq prints on stderr unless
    // told otherwise; a library must not write to its host's streams (semantics 5.9).
    fixture fx;
    const lockstep::table<probe_model> absent(fx.s.main.name() + "_never_created",
                                              {lockstep::primary_key(&probe_model::id, "id"),
                                               lockstep::column(&probe_model::label, "label")});
    CHECK(stderr_of([&] { fx.db.drop_tables(absent); }) == std::string()); // shows the text
    CHECK_FALSE(table_exists(fx.db, absent.name()));
}

TEST_CASE("A locking read outside an atomic block raises usage_error", "[schema][atomic]") {
    // Django: an error on PostgreSQL and MySQL, silently ignored on SQLite (semantics 5.6).
    fixture fx;
    const auto sql = "SELECT * FROM " + fx.db.quote_identifier(fx.s.main.name()) + " FOR UPDATE";
    CHECK(error_class_of([&] { fx.db.query(sql); }) == "usage_error");
}

TEST_CASE("A locking read inside an atomic block is allowed where the engine has one",
          "[schema][atomic]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_select_for_update,
                             "the engine has no SELECT ... FOR UPDATE (it locks whole databases)");
    create_main(fx, "x");
    const auto sql = "SELECT * FROM " + fx.db.quote_identifier(fx.s.main.name()) + " FOR UPDATE";
    atomic(fx.db, [&] { CHECK(fx.db.query(sql).size() == 1); });
}

TEST_CASE("Keys stay unique among committed rows after a rolled-back insert", "[schema]") {
    // Whether the rolled-back key is handed out again differs by engine (semantics 5.4); only
    // uniqueness among committed rows is promised, so only that is checked.
    fixture fx;
    const auto first = create_main(fx, "first");
    std::int64_t ghost_key = 0;
    error_class_of([&] {
        atomic(fx.db, [&] {
            ghost_key = create_main(fx, "ghost").id;
            throw boom();
        });
    });
    const auto second = create_main(fx, "second");
    CHECK(ghost_key != first.id);
    CHECK(second.id != first.id);
    CHECK(fx.names() == strings{"first", "second"});
}

TEST_CASE("Rows read back hold every column type as written", "[schema]") {
    struct typed {
        std::int64_t id = 0;
        std::int64_t big = 0;
        double real = 0;
        bool flag = false;
        std::string text;
        std::optional<std::string> maybe;
    };
    fixture fx;
    const lockstep::table<typed> t(
        fx.s.main.name() + "_typed",
        {lockstep::primary_key(&typed::id, "id"), lockstep::column(&typed::big, "big"),
         lockstep::column(&typed::real, "real_value"), lockstep::column(&typed::flag, "flag"),
         lockstep::column(&typed::text, "text_value", lockstep::max_length(20)),
         lockstep::column(&typed::maybe, "maybe")});
    fx.db.create_tables(t);
    const typed written{.big = 9'000'000'000'000'000'000,
                        .real = 2.5,
                        .flag = true,
                        .text = "h\xC3\xA9llo",
                        .maybe = std::nullopt};
    const auto key = fx.db.insert(t, written).id;
    const auto read = fx.db.get(t, key);
    REQUIRE(read);
    CHECK(read->big == written.big);
    CHECK(read->real == written.real);
    CHECK(read->flag == written.flag);
    CHECK(read->text == written.text);
    CHECK_FALSE(read->maybe.has_value());
    CHECK(fx.db.count(t, lockstep::eq(&typed::flag, true)) == 1);
    CHECK(fx.db.count(t, lockstep::eq(&typed::maybe, std::nullopt)) == 1);
    fx.db.drop_tables(t);
}

TEST_CASE("Binary values are stored and read back byte for byte", "[schema]") {
    struct binary_row {
        std::int64_t id = 0;
        lockstep::blob bytes;
        std::optional<lockstep::blob> maybe;
    };
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().binds_binary_values,
                             "the adapter cannot bind binary values");
    const lockstep::table<binary_row> t(fx.s.main.name() + "_binary",
                                        {lockstep::primary_key(&binary_row::id, "id"),
                                         lockstep::column(&binary_row::bytes, "bytes"),
                                         lockstep::column(&binary_row::maybe, "maybe")});
    fx.db.create_tables(t);
    const binary_row written{.bytes = {std::byte{0}, std::byte{0xFF}, std::byte{'a'}, std::byte{0}},
                             .maybe = std::nullopt};
    const auto read = fx.db.get(t, fx.db.insert(t, written).id);
    REQUIRE(read);
    CHECK(read->bytes == written.bytes);
    CHECK_FALSE(read->maybe.has_value());
    fx.db.drop_tables(t);
}
