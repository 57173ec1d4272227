// Engine capabilities, each written as a question. Backends answer them; tests and the core ask
// them, and never check an engine's name (semantics 5.8).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <string_view>
#include <vector>

namespace lockstep {

/// What an engine can and cannot do. Every difference between engines that Lockstep does not
/// hide is one of these answers.
struct LOCKSTEP_API features {
    /// Can a transaction contain named savepoints?
    bool supports_savepoints = true;
    /// Can a savepoint be released before its transaction ends?
    bool can_release_savepoints = true;
    /// Does DDL roll back with its transaction? (MySQL commits DDL implicitly.)
    bool can_rollback_ddl = true;
    /// Can an INSERT return the generated key in the same round trip (RETURNING)?
    bool supports_returning = false;
    /// Does `SELECT ... FOR UPDATE` take row locks? (SQLite locks the whole database instead.)
    bool supports_select_for_update = false;
    /// Can several connections write at the same time, blocking only on the same rows?
    bool supports_concurrent_writers = false;
    /// Does a failed statement leave the transaction aborted until ROLLBACK (TO SAVEPOINT)?
    /// Lockstep poisons the block on every engine anyway (semantics 2.1); this says what the engine
    /// itself would do.
    bool aborts_transaction_on_error = false;
    /// Can tables be of a kind that ignores rollback (MyISAM, MEMORY)? Writes to them inside an
    /// atomic block are refused (semantics 5.2).
    bool has_non_transactional_tables = false;
    /// Can binary values (BLOB, BYTEA) be bound as parameters and read back? (SOCI 4.0 cannot.)
    bool binds_binary_values = true;
    /// Can one session end another on the server (pg_terminate_backend, KILL)?
    bool can_terminate_sessions = false;
    /// Does the engine enforce the declared length of text columns by itself? Lockstep checks
    /// lengths on every engine anyway (semantics 6.2).
    bool enforces_text_length = false;
};

/// One capability as `lockstep probe` shows it: its name, its question, and the answer.
struct LOCKSTEP_API feature_answer {
    std::string_view name;     ///< the flag's name in `features`
    std::string_view question; ///< what it answers, as a question
    bool answer;               ///< the engine's answer
};

/// Every capability of `f`, in declaration order, with its question.
LOCKSTEP_API std::vector<feature_answer> describe(const features& f);

} // namespace lockstep
