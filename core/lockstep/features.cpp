// The capability list that `lockstep probe` prints: each flag with its question.
// SPDX-License-Identifier: MIT
#include "lockstep/features.hpp"

namespace lockstep {

std::vector<feature_answer> describe(const features& f) {
    return {
        {"supports_savepoints", "Can a transaction contain named savepoints?",
         f.supports_savepoints},
        {"can_release_savepoints", "Can a savepoint be released before its transaction ends?",
         f.can_release_savepoints},
        {"can_rollback_ddl", "Does DDL roll back with its transaction?", f.can_rollback_ddl},
        {"supports_returning", "Can an INSERT return the generated key in the same round trip?",
         f.supports_returning},
        {"supports_select_for_update", "Does SELECT ... FOR UPDATE take row locks?",
         f.supports_select_for_update},
        {"supports_concurrent_writers",
         "Can several connections write at once, blocking only on the same rows?",
         f.supports_concurrent_writers},
        {"aborts_transaction_on_error",
         "Does the engine itself abort a transaction after a failed statement?",
         f.aborts_transaction_on_error},
        {"has_non_transactional_tables", "Can tables be of a kind that ignores rollback?",
         f.has_non_transactional_tables},
        {"binds_binary_values", "Can binary values be bound as parameters and read back?",
         f.binds_binary_values},
        {"can_terminate_sessions", "Can one session end another on the server?",
         f.can_terminate_sessions},
        {"enforces_text_length", "Does the engine enforce the declared length of text columns?",
         f.enforces_text_length},
    };
}

} // namespace lockstep
