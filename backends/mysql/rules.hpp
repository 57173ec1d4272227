// The rules every MySQL/MariaDB session of Lockstep's keeps, whichever client library carries
// it (Connector/C++ here, SOCI in backends/soci): session settings, the default isolation, the
// refusal of writes that could not roll back, and implicit commits noticed.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/recent_statements.hpp"
#include "lockstep/value.hpp"

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lockstep::mysql {

/// The adapter's own query: runs `sql` with `params` and returns the rows.
using query_function = std::function<std::vector<row>(std::string_view, std::span<const param>)>;
/// The adapter's own statement runner, for settings.
using run_function = std::function<void(const std::string&)>;

/// Sets strict SQL mode and utf8mb4 on a new session; returns the binary no-pad collation the
/// server has (utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL 8). Throws
/// `not_supported` if it has neither.
std::string configure_session(const query_function& query, const run_function& run);

/// The isolation level transactions get by default, spelt like the other engines'
/// ("repeatable read"). MariaDB before 11.1 names the variable tx_isolation.
std::string default_isolation(const query_function& query, std::string_view server_version);

/// Refuses, before sending, a write inside a transaction to a table whose storage engine
/// ignores rollback (MyISAM, MEMORY, Aria...: semantics 5.2); on a Galera node, also any write to
/// such a table (Galera replicates InnoDB only) and to a table without a primary key (semantics
/// 8.12). Tables are looked up once in information_schema and remembered until `forget`.
class rollback_guard {
public:
    /// Throws `usage_error` (raised before anything is sent) if `sql` writes to such a table;
    /// `galera`: the session is on a Galera node.
    void check(std::string_view sql, const query_function& query, bool galera = false);
    /// Has `sql`, a stable text, been checked already since the last `forget`? Then it needs no
    /// check: a model write finds its verdict by the address of its text alone.
    bool known_safe(std::string_view sql) const noexcept { return safe_stable_.contains(sql); }
    /// `sql` stays at its address, unchanged (spi::session::note_stable_sql).
    void note_stable(std::string_view sql) { stable_.note(sql); }
    /// Forgets what it learned (after DDL, which may change a table's engine).
    void forget() noexcept {
        engines_.clear();
        safe_stable_.clear();
    }

private:
    struct table_facts {
        std::string engine;
        bool has_primary_key = true;
    };
    std::unordered_map<std::string, table_facts> engines_;
    spi::stable_texts stable_;
    spi::stable_texts safe_stable_; // the stable texts checked safe since the last forget
};

/// Refuses, on a Galera node, statements that cannot work as on one server (semantics 8.12):
/// `LOCK TABLES` and `GET_LOCK()` lock this node only, so another node's writers never wait.
/// Throws `usage_error` before anything is sent.
void refuse_galera_traps(std::string_view sql);

/// Refuses value `index` (0-based) of a statement, `size` bytes long, that is not below the
/// server's max_allowed_packet `limit`: data_error, before anything is sent (semantics 6.2).
[[noreturn]] void raise_value_too_large(std::size_t index, std::size_t size, std::size_t limit);

/// Throws the error for a statement that ended the transaction implicitly: it reached the
/// engine, so the core ends the block instead of carrying on.
[[noreturn]] void raise_implicit_commit(std::string_view engine, std::string_view sql);

} // namespace lockstep::mysql
