// What the SQL dialects Lockstep knows spell differently (types, keys, quotes) and what each
// engine answers to the capability questions, shared by the native adapters and the SOCI
// adapter so that each engine behaves the same whichever adapter reaches it.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"
#include "lockstep/features.hpp"
#include "lockstep/value.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep::spi {

/// How one dialect spells identifiers, column types and generated keys.
struct LOCKSTEP_API sql_dialect {
    char identifier_quote;      ///< '"' or '`'
    const char* integer;        ///< the type of an integer column
    const char* boolean;        ///< the type of a boolean column
    const char* real;           ///< the type of a real column
    const char* unbounded_text; ///< text without a max_length (with one: VARCHAR(n))
    const char* binary;         ///< the type of a binary column
    const char* auto_key;       ///< the whole definition of a generated BIGINT key, after its name

    /// The column type for DDL (`VARCHAR(100)`, `BIGINT`, ...).
    std::string column_type(lockstep::column_type type,
                            std::optional<std::size_t> max_length) const;
};

/// SQLite: AUTOINCREMENT keys, lengths that Lockstep (not SQLite) enforces.
LOCKSTEP_API const sql_dialect& sqlite_dialect() noexcept;
/// PostgreSQL: identity keys that also accept a key of the caller's choosing.
LOCKSTEP_API const sql_dialect& postgresql_dialect() noexcept;
/// MySQL/MariaDB: AUTO_INCREMENT keys, backtick quotes.
LOCKSTEP_API const sql_dialect& mysql_dialect() noexcept;

/// What follows CREATE TABLE on MySQL: InnoDB so that rows roll back, utf8mb4 with the binary
/// no-pad `collation` so that text compares byte for byte (semantics 5.2, 5.5).
LOCKSTEP_API std::string mysql_table_suffix(std::string_view collation);

/// Each engine's answers to the capability questions. Answers that depend on the adapter or
/// the server version (supports_returning, binds_binary_values) are the adapter's to adjust.
LOCKSTEP_API lockstep::features sqlite_features() noexcept;
/// PostgreSQL's answers (see sqlite_features).
LOCKSTEP_API lockstep::features postgresql_features() noexcept;
/// MySQL's and MariaDB's answers (see sqlite_features).
LOCKSTEP_API lockstep::features mysql_features() noexcept;

} // namespace lockstep::spi
