// Unit tests of the statement classifier that guards semantics 1.5, 5.1 and 5.6.
// SPDX-License-Identifier: MIT
#include "lockstep/detail/sql_scan.hpp"

#include <catch2/catch.hpp>

using lockstep::detail::calls_function;
using lockstep::detail::classify_statement;
using lockstep::detail::starts_with_words;
using lockstep::detail::statement_class;

TEST_CASE("Statements are classified by their first keyword, in any case", "[sql]") {
    CHECK(classify_statement("SELECT 1") == statement_class::query);
    CHECK(classify_statement("  with x as (select 1) select * from x") == statement_class::query);
    CHECK(classify_statement("insert into t values (?)") == statement_class::write);
    CHECK(classify_statement("UPDATE t SET a = 1") == statement_class::write);
    CHECK(classify_statement("delete from t") == statement_class::write);
    CHECK(classify_statement("CREATE TABLE t (a int)") == statement_class::ddl);
    CHECK(classify_statement("truncate t") == statement_class::ddl);
    CHECK(classify_statement("VACUUM") == statement_class::other);
}

TEST_CASE("Transaction control statements are recognised however they are spelled", "[sql]") {
    for (const char* sql :
         {"BEGIN", "commit", "ROLLBACK TO SAVEPOINT x", "savepoint a", "RELEASE SAVEPOINT a",
          "START TRANSACTION", "END", "SET autocommit=0",
          "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE",
          "set session characteristics as transaction read only", "/* hi */ -- note\n Begin"})
        CHECK(classify_statement(sql) == statement_class::transaction_control);
    CHECK(classify_statement("SET NAMES utf8mb4") == statement_class::other);
}

TEST_CASE("Locking reads are found outside literals and comments only", "[sql]") {
    CHECK(classify_statement("SELECT * FROM t WHERE id = ? FOR UPDATE") ==
          statement_class::locking_query);
    CHECK(classify_statement("select * from t for share") == statement_class::locking_query);
    CHECK(classify_statement("SELECT * FROM t LOCK IN SHARE MODE") ==
          statement_class::locking_query);
    CHECK(classify_statement("SELECT 'for update' FROM t") == statement_class::query);
    CHECK(classify_statement("SELECT \"for\" , update_at FROM t -- for update") ==
          statement_class::query);
    CHECK(classify_statement("SELECT 'it''s' FROM t /* for update */") == statement_class::query);
}

TEST_CASE("Placeholders are numbered outside literals, quoted names and comments", "[sql]") {
    using lockstep::detail::number_placeholders;
    CHECK(number_placeholders("INSERT INTO t (a, b) VALUES (?, ?)", "$") ==
          std::pair<std::string, int>{"INSERT INTO t (a, b) VALUES ($1, $2)", 2});
    CHECK(
        number_placeholders("SELECT '?', \"a?\" FROM t WHERE x = ? -- ?\n AND y = ?", "$") ==
        std::pair<std::string, int>{"SELECT '?', \"a?\" FROM t WHERE x = $1 -- ?\n AND y = $2", 2});
    CHECK(number_placeholders("SELECT 'it''s ?' /* ? */, ?", ":p") ==
          std::pair<std::string, int>{"SELECT 'it''s ?' /* ? */, :p1", 1});
    CHECK(number_placeholders("SELECT 1", "$").second == 0);
}

TEST_CASE("The target of a single-table write is found however it is quoted", "[sql]") {
    using lockstep::detail::write_target;
    CHECK(write_target("INSERT INTO `t` (a) VALUES (?)") == "t");
    CHECK(write_target("insert ignore into db.\"my table\" values (1)") == "my table");
    CHECK(write_target("REPLACE t2 VALUES (1)") == "t2");
    CHECK(write_target("UPDATE LOW_PRIORITY `x``y` SET a = 1") == "x`y");
    CHECK(write_target("/* c */ DELETE FROM s.t WHERE a = 1") == "t");
    CHECK(write_target("SELECT * FROM t").empty());
    CHECK(write_target("DELETE t1 FROM t1 JOIN t2").empty());
}

TEST_CASE("A second statement after a semicolon is found outside literals and comments only",
          "[sql]") {
    using lockstep::detail::has_several_statements;
    CHECK(has_several_statements("INSERT INTO t VALUES (1); COMMIT"));
    CHECK(has_several_statements("SELECT 1;SELECT 2"));
    CHECK(has_several_statements("SELECT 1; 'x'"));
    CHECK_FALSE(has_several_statements("SELECT 1;"));
    CHECK_FALSE(has_several_statements("SELECT 1 ; \n -- done\n /* really */ ;  "));
    CHECK_FALSE(has_several_statements("SELECT 1; # MySQL comment"));
    CHECK_FALSE(has_several_statements("SELECT 'a;b', \"c;d\", `e;f`"));
    CHECK_FALSE(has_several_statements("SELECT $$ a; b $$, $tag$ ; DROP $tag$"));
    CHECK_FALSE(has_several_statements("SELECT 1 -- ; DROP TABLE t"));
}

TEST_CASE("Placeholders are not counted inside dollar-quoted strings, and ?? is a literal ?",
          "[sql]") {
    using lockstep::detail::number_placeholders;
    CHECK(number_placeholders("SELECT $$?$$, ?", "$") ==
          std::pair<std::string, int>{"SELECT $$?$$, $1", 1});
    CHECK(number_placeholders("SELECT $f$ it's ? $f$ || ?", "$").first ==
          "SELECT $f$ it's ? $f$ || $1");
    CHECK(number_placeholders("SELECT doc ?? 'key' FROM t WHERE id = ?", "$") ==
          std::pair<std::string, int>{"SELECT doc ? 'key' FROM t WHERE id = $1", 1});
    CHECK(number_placeholders("SELECT doc ??| array['a'] WHERE a = ? AND b = $1", ":p").second ==
          1);
    CHECK(number_placeholders("SELECT a$b, ?", "$").first == "SELECT a$b, $1");
}

TEST_CASE("A function call is found outside literals, quoted identifiers and comments only",
          "[sql]") {
    CHECK(calls_function("SELECT GET_LOCK('x', 1)", "get_lock"));
    CHECK(calls_function("select get_lock ('x', 1)", "GET_LOCK"));
    CHECK(
        calls_function("SELECT 1 FROM t WHERE IS_FREE_LOCK('a') AND get_lock('b', 0)", "get_lock"));
    CHECK_FALSE(calls_function("SELECT 'GET_LOCK(1)'", "get_lock"));
    CHECK_FALSE(calls_function("SELECT `get_lock`", "get_lock"));
    CHECK_FALSE(calls_function("SELECT 1 -- get_lock('x', 1)", "get_lock"));
    CHECK_FALSE(calls_function("SELECT my_get_lock('x')", "get_lock"));
    CHECK_FALSE(calls_function("SELECT get_lock_count FROM t", "get_lock"));
}

TEST_CASE("Leading keywords are matched in any case, after comments", "[sql]") {
    CHECK(starts_with_words("LOCK TABLES t WRITE", {"LOCK", "TABLES"}));
    CHECK(starts_with_words("/* x */ lock table t read", {"lock", "table"}));
    CHECK_FALSE(starts_with_words("SELECT 'LOCK TABLES'", {"LOCK", "TABLES"}));
    CHECK_FALSE(starts_with_words("LOCK", {"LOCK", "TABLES"}));
}
