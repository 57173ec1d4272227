// One place that turns a backend's classified engine error into the lockstep::error class with
// a standard message, so every backend's errors.cpp is only a mapping table.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/errors.hpp"
#include "lockstep/export.hpp"

namespace lockstep::spi {

/// The class of error a backend's mapping table chooses.
enum class error_category {
    integrity,     ///< see constraint_kind
    conflict,      ///< deadlock, serialization failure, lock timeout, busy
    connection,    ///< lost connection, cannot open, corrupt file
    data,          ///< value too long, out of range, invalid text
    statement,     ///< syntax error, unknown table or column, no privilege
    usage,         ///< the engine says the API was misused
    not_supported, ///< the engine lacks the feature
    resource,      ///< disk full, out of memory, too many connections
    other,         ///< anything else (internal error, damaged file, interrupted): engine_error
};

/// What a backend's mapping table returns for one native error.
struct LOCKSTEP_API error_class {
    error_category category;                             ///< which Lockstep error class
    constraint_kind constraint = constraint_kind::other; ///< for integrity errors: which constraint

    /// Equal when category and constraint are.
    friend bool operator==(const error_class&, const error_class&) = default;
};

/// Throws the lockstep error for `cls`, with a sentence saying what happened and what to do,
/// followed by the engine's own message. `details` carries engine, codes and statement.
[[noreturn]] LOCKSTEP_API void raise(error_class cls, error_details details);

/// Like `raise`, with `sentence` instead of the class's standard one (for a backend that knows
/// better what happened and what to do, such as "the database file is read-only").
[[noreturn]] LOCKSTEP_API void raise(error_class cls, const std::string& sentence,
                                     error_details details);

} // namespace lockstep::spi
