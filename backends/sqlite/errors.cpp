// SQLite's extended result codes mapped to Lockstep's error classes, in one table.
// SPDX-License-Identifier: MIT
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
    case SQLITE_IOERR:
        if (extended_code == SQLITE_IOERR_NOMEM)
            return {error_category::resource};
        return {error_category::connection};
    case SQLITE_CANTOPEN:
        return {error_category::connection};
    case SQLITE_FULL:  // the disk (or the file size limit) is full
    case SQLITE_NOMEM: // malloc failed
        return {error_category::resource};
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
    default: // SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_INTERRUPT, SQLITE_INTERNAL, ...
        return {error_category::other};
    }
}

namespace {

// What happened and what to do, for the codes where the class's standard sentence would mislead
// (SQLITE_READONLY is no syntax error) or where the file is the point.
std::string sentence_for(int extended_code, std::string_view file) {
    const std::string where = file.empty() ? std::string("the database file")
                                           : "the database file \"" + std::string(file) + "\"";
    switch (extended_code & 0xFF) {
    case SQLITE_READONLY:
        return "SQLite cannot write to " + where +
               ": the file, its directory or the medium is read-only (or another process "
               "opened it read-only). Give this process write permission, or open a copy.";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return "SQLite found " + where +
               " damaged, or not an SQLite database at all; a new connection cannot help. "
               "Restore it from a backup (PRAGMA integrity_check shows the damage).";
    case SQLITE_FULL:
        return "SQLite could not write to " + where +
               ": the disk or the file size limit is full, and the statement did nothing. Free "
               "space, then retry the whole atomic block.";
    case SQLITE_CANTOPEN:
        return "SQLite cannot open " + where +
               ": check that the path exists and that this process may read and write it.";
    default:
        return {};
    }
}

} // namespace

void raise_error(int extended_code, std::string_view native_message, std::string_view sql,
                 std::string_view file) {
    const auto cls = classify(extended_code, native_message);
    error_details details{"sqlite", "", extended_code, std::string(native_message),
                          std::string(sql)};
    if (auto sentence = sentence_for(extended_code, file); !sentence.empty())
        spi::raise(cls, sentence, std::move(details));
    spi::raise(cls, std::move(details));
}

} // namespace lockstep::sqlite
