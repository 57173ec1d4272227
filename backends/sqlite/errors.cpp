// SQLite's extended result codes mapped to Lockstep's error classes, in one table.
#include "sqlite/errors.hpp"

#include <sqlite3.h>
#include <string>
#include <utility>

namespace lockstep::sqlite {

spi::error_class classify(int extended_code, std::string_view native_message) noexcept {
    using spi::error_category;
    if (extended_code == SQLITE_CONSTRAINT_TRIGGER &&
        native_message.find("FOREIGN KEY constraint failed") != std::string_view::npos)
        return {error_category::integrity, constraint_kind::foreign_key};
    if (extended_code == SQLITE_CONSTRAINT) {
        // Only the primary code (a connection without extended result codes, as SOCI opens
        // them): SQLite's messages name the constraint.
        for (const auto& [text, kind] :
             {std::pair{"UNIQUE constraint failed", constraint_kind::unique},
              std::pair{"FOREIGN KEY constraint failed", constraint_kind::foreign_key},
              std::pair{"NOT NULL constraint failed", constraint_kind::not_null},
              std::pair{"CHECK constraint failed", constraint_kind::check}})
            if (native_message.find(text) != std::string_view::npos)
                return {error_category::integrity, kind};
    }
    switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return {error_category::integrity, constraint_kind::unique};
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return {error_category::integrity, constraint_kind::foreign_key};
    case SQLITE_CONSTRAINT_NOTNULL:
        return {error_category::integrity, constraint_kind::not_null};
    case SQLITE_CONSTRAINT_CHECK:
        return {error_category::integrity, constraint_kind::check};
    default:
        break;
    }
    switch (extended_code & 0xFF) { // the primary result code
    case SQLITE_CONSTRAINT:
        return {error_category::integrity, constraint_kind::other};
    case SQLITE_BUSY:   // another connection holds the lock past the busy timeout
    case SQLITE_LOCKED: // a conflict inside a shared cache
    case SQLITE_ABORT:  // the transaction was rolled back under the statement
        return {error_category::conflict};
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_IOERR:
        return {error_category::connection};
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return {error_category::data};
    case SQLITE_ERROR: // syntax errors, unknown tables and columns
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
    case SQLITE_SCHEMA:
        return {error_category::statement};
    case SQLITE_MISUSE:
        return {error_category::usage};
    default: // SQLITE_FULL, SQLITE_NOMEM, SQLITE_INTERRUPT, ...
        return {error_category::other};
    }
}

void raise_error(int extended_code, std::string_view native_message, std::string_view sql) {
    spi::raise(classify(extended_code, native_message),
               {"sqlite", "", extended_code, std::string(native_message), std::string(sql)});
}

} // namespace lockstep::sqlite
