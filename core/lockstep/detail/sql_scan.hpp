// A tiny SQL scanner: classifies a raw statement by its leading keyword, and spots locking reads,
// so the core can refuse what would break a promise before anything is sent
// (semantics 1.5, 5.1, 5.6). SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace lockstep::detail {

enum class statement_class {
    query,               ///< SELECT, WITH, VALUES, SHOW, EXPLAIN, PRAGMA ...
    locking_query,       ///< SELECT ... FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE
    write,               ///< INSERT, UPDATE, DELETE, REPLACE, MERGE, UPSERT
    ddl,                 ///< CREATE, ALTER, DROP, TRUNCATE, RENAME, GRANT, REVOKE, LOCK, ...
    transaction_control, ///< BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, START, END, ABORT, SET
                         ///< AUTOCOMMIT
    other,
};

/// If a string literal, quoted identifier, comment or PostgreSQL dollar-quoted string starts at
/// `i`, the index just past it (the end of `sql` if it is not closed); else `i`.
LOCKSTEP_API std::size_t skip_literal_or_comment(std::string_view sql, std::size_t i) noexcept;

/// Rewrites each `?` placeholder outside literals, quoted identifiers, comments and
/// dollar-quoted strings as `prefix` followed by its 1-based number (`$1`, `$2`, ... for
/// PostgreSQL; `:p1` for SOCI); `??` becomes a literal `?` (PostgreSQL's jsonb `?` operators).
/// Returns the new text and the number of placeholders.
LOCKSTEP_API std::pair<std::string, int> number_placeholders(std::string_view sql,
                                                             std::string_view prefix);

/// Does `sql` hold more than one statement: anything but white space and comments after a `;`
/// outside literals? (semantics 6.6: one statement per call, on every engine)
LOCKSTEP_API bool has_several_statements(std::string_view sql) noexcept;

/// The table a single-table write changes (`INSERT INTO t`, `REPLACE t`, `UPDATE t`,
/// `DELETE FROM t`), without schema or quotes; empty if `sql` is not such a write.
LOCKSTEP_API std::string write_target(std::string_view sql);

/// Does `sql` call function `name` (the word, in any case, followed by `(`) outside literals,
/// quoted identifiers and comments? `calls_function("SELECT GET_LOCK('x', 1)", "get_lock")`.
LOCKSTEP_API bool calls_function(std::string_view sql, std::string_view name) noexcept;

/// Do the first words of `sql` (outside comments) equal `keywords`, ignoring case?
LOCKSTEP_API bool starts_with_words(std::string_view sql,
                                    std::initializer_list<std::string_view> keywords) noexcept;

/// Classifies `sql` by its first keyword, skipping white space, comments and parentheses.
/// Words inside string literals and quoted identifiers are never taken for keywords.
LOCKSTEP_API statement_class classify_statement(std::string_view sql) noexcept;

} // namespace lockstep::detail
