// The DDL spellings of the SQL dialects Lockstep knows, shared by the native adapters and the
// SOCI adapter so that each engine's tables look the same whichever adapter created them.
#pragma once

#include "lockstep/value.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep::spi {

/// How one dialect spells identifiers, column types and generated keys.
struct sql_dialect {
    char identifier_quote;
    std::string (*column_type)(column_type type, std::optional<std::size_t> max_length);
    const char* auto_key; ///< the whole definition of a generated BIGINT key, after its name
};

/// SQLite: AUTOINCREMENT keys, lengths that Lockstep (not SQLite) enforces.
const sql_dialect& sqlite_dialect() noexcept;
/// PostgreSQL: identity keys that also accept a key of the caller's choosing.
const sql_dialect& postgresql_dialect() noexcept;
/// MySQL/MariaDB: AUTO_INCREMENT keys, backtick quotes.
const sql_dialect& mysql_dialect() noexcept;

/// What follows CREATE TABLE on MySQL: InnoDB so that rows roll back, utf8mb4 with the binary
/// no-pad `collation` so that text compares byte for byte (SPEC 5.2, 5.5).
std::string mysql_table_suffix(std::string_view collation);

} // namespace lockstep::spi
