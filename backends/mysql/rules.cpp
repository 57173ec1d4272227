// The rules every MySQL/MariaDB session of Lockstep's keeps, whichever client library carries it.
// SPDX-License-Identifier: MIT
#include "mysql/rules.hpp"

#include "lockstep/detail/sql_scan.hpp"
#include "lockstep/errors.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace lockstep::mysql {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

} // namespace

std::string configure_session(const query_function& query, const run_function& run) {
    run("SET SESSION sql_mode = 'STRICT_ALL_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,"
        "NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'");
    // A binary no-pad collation makes 'abc', 'ABC' and 'abc ' three values (semantics 5.5).
    for (const char* candidate : {"utf8mb4_nopad_bin", "utf8mb4_0900_bin"}) {
        const std::array<param, 1> name{std::string_view(candidate)};
        if (!query("SELECT 1 FROM information_schema.COLLATIONS WHERE COLLATION_NAME = ?", name)
                 .empty()) {
            // The connection keeps utf8mb4's default collation: Connector/C++ 1.1 reads result
            // columns by the connection's collation id and cannot read TEXT under MariaDB's
            // no-pad ids (above 255). Comparisons use the columns' collation, which wins.
            run("SET NAMES utf8mb4");
            return candidate;
        }
    }
    throw not_supported("This MySQL server has no binary no-pad utf8mb4 collation "
                        "(utf8mb4_nopad_bin or utf8mb4_0900_bin), so text could not be compared "
                        "byte for byte; use MariaDB 10.2+ or MySQL 8.");
}

std::string default_isolation(const query_function& query, std::string_view server_version) {
    const bool mariadb = server_version.find("MariaDB") != std::string_view::npos;
    auto level =
        as_text(query(mariadb ? "SELECT @@tx_isolation" : "SELECT @@transaction_isolation", {})
                    .at(0)
                    .at(0));
    for (auto& c : level) // "REPEATABLE-READ" -> "repeatable read"
        c = c == '-' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return level;
}

void rollback_guard::check(std::string_view sql, const query_function& query, bool galera) {
    const auto table = detail::write_target(sql);
    if (table.empty())
        return;
    auto it = engines_.find(table);
    if (it == engines_.end()) {
        const std::array<param, 1> name{std::string_view(table)};
        const auto rows =
            query("SELECT t.ENGINE, (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS c "
                  "WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND "
                  "c.CONSTRAINT_TYPE = 'PRIMARY KEY') FROM information_schema.TABLES t WHERE "
                  "t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = ?",
                  name);
        // Unknown tables (temporary ones, typos) are left to the server to judge.
        table_facts facts;
        if (!rows.empty() && !is_null(rows[0][0])) {
            facts.engine = as_text(rows[0][0]);
            facts.has_primary_key = as_integer(rows[0][1]) != 0;
        } else {
            facts.engine = "InnoDB";
        }
        it = engines_.emplace(table, std::move(facts)).first;
    }
    const auto& facts = it->second;
    if (iequals(facts.engine, "InnoDB") && (!galera || facts.has_primary_key)) {
        if (stable_.contains(sql))
            safe_stable_.note(sql);
        return;
    }
    if (galera && !iequals(facts.engine, "InnoDB"))
        throw usage_error("Table \"" + table + "\" uses the " + facts.engine +
                          " storage engine, which a Galera cluster does not replicate: the write "
                          "would exist on this node only (semantics 8.12). Convert it with ALTER "
                          "TABLE ... ENGINE=InnoDB.");
    if (galera)
        throw usage_error("Table \"" + table +
                          "\" has no primary key: Galera cannot apply its rows on the other nodes "
                          "reliably (deletes and updates may apply to other rows, or stall the "
                          "cluster) (semantics 8.12). Add a primary key.");
    throw usage_error("Table \"" + table + "\" uses the " + facts.engine +
                      " storage engine, which ignores rollback, so a write to it inside an "
                      "atomic block could not be undone (semantics 5.2). Convert it with ALTER "
                      "TABLE ... ENGINE=InnoDB, or write to it outside atomic blocks.");
}

void refuse_galera_traps(std::string_view sql) {
    if (detail::starts_with_words(sql, {"LOCK", "TABLES"}) ||
        detail::starts_with_words(sql, {"LOCK", "TABLE"}))
        throw usage_error("LOCK TABLES locks a Galera node's tables on that node only: writers on "
                          "the other nodes do not wait and win at COMMIT (semantics 8.12). Use "
                          "an atomic block with SELECT ... FOR UPDATE and lockstep::retry.");
    for (const auto name : {"GET_LOCK", "RELEASE_LOCK", "IS_FREE_LOCK", "IS_USED_LOCK"})
        if (detail::calls_function(sql, name))
            throw usage_error(std::string(name) +
                              "() takes a lock on one Galera node only: the other nodes do not "
                              "see it (semantics 8.12). Use a row locked with SELECT ... FOR "
                              "UPDATE in an atomic block, or a lock outside the database.");
}

void raise_value_too_large(std::size_t index, std::size_t size, std::size_t limit) {
    throw data_error(
        "Value " + std::to_string(index + 1) + " of the statement is " + std::to_string(size) +
        " bytes, more than this server's max_allowed_packet of " + std::to_string(limit) +
        " bytes; nothing was sent. Store less, or raise max_allowed_packet on the "
        "server.");
}

void raise_implicit_commit(std::string_view engine, std::string_view sql) {
    throw usage_error("The statement \"" + std::string(sql) +
                          "\" ended the transaction implicitly (MySQL commits before and after "
                          "statements such as DDL); the work before it may already be "
                          "committed. Run such statements outside atomic blocks.",
                      {std::string(engine), "", 0, "implicit commit", std::string(sql)});
}

} // namespace lockstep::mysql
