// The error taxonomy: one small set of classes, each telling the caller what to do next,
// raised identically by every engine (semantics section 6).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lockstep {

/// Where an error came from: the engine's own words, kept as data beside Lockstep's message.
///
/// `statement` is the SQL text with placeholders; bound values never appear here.
struct LOCKSTEP_API error_details {
    std::string engine;   ///< URL scheme of the engine ("sqlite", "postgresql", ...), or empty
    std::string sqlstate; ///< five-character SQLSTATE where the engine has one, else empty
    std::int64_t
        native_code{}; ///< the engine's own error number (SQLite extended result code, ...)
    std::string native_message; ///< the engine's message, as it said it
    std::string statement;      ///< the SQL that failed, with placeholders, or empty
};

/// The base of every error Lockstep raises.
///
/// `what()` is a sentence that says what happened and what to do; the engine's own words are
/// in `details()`. Catch a subclass to act on it; catch `lockstep::error` to log it.
class LOCKSTEP_API error : public std::runtime_error {
public:
    /// An error whose `what()` is `message`, with the engine's own information in `details`.
    error(const std::string& message, error_details details = {});

    /// The engine's error information (may be empty for errors Lockstep raises itself).
    const error_details& details() const noexcept { return details_; }
    /// The engine that raised it ("sqlite", "postgresql", ...), or empty.
    const std::string& engine_name() const noexcept { return details_.engine; }
    /// The SQLSTATE the engine gave, or empty.
    const std::string& sqlstate() const noexcept { return details_.sqlstate; }
    /// The engine's own error number (SQLite's extended code, MySQL's errno), or 0.
    std::int64_t native_code() const noexcept { return details_.native_code; }
    /// The engine's own message, with any row values masked.
    const std::string& native_message() const noexcept { return details_.native_message; }
    /// The statement that failed, with placeholders, never with values; or empty.
    const std::string& statement() const noexcept { return details_.statement; }

    /// Does rerunning the whole outermost atomic block have a chance to succeed?
    virtual bool is_retryable() const noexcept { return false; }
    /// Does this error end the whole transaction on some engine, so every open block must roll
    /// back?
    virtual bool poisons_transaction() const noexcept { return false; }
    /// Is the connection unusable after this error, so it must be discarded?
    virtual bool poisons_connection() const noexcept { return false; }
    /// The class name, as the conformance transcripts record it ("integrity_error", ...).
    virtual const char* kind() const noexcept { return "error"; }

private:
    error_details details_;
};

/// The calling code broke a rule (a statement in a failed block, DDL where it cannot roll back,
/// commit inside an atomic block...). Fix the code; retrying will fail the same way.
class LOCKSTEP_API usage_error : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "usage_error"; }
};

/// Bad configuration: a malformed URL, an unknown engine, a driver that is not built in.
class LOCKSTEP_API configuration_error : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "configuration_error"; }
};

/// The connection is lost or could not be opened. Discard it and open a new one.
class LOCKSTEP_API connection_error : public error {
public:
    using error::error;
    bool poisons_transaction() const noexcept override { return true; }
    bool poisons_connection() const noexcept override { return true; }
    const char* kind() const noexcept override { return "connection_error"; }
};

/// Which constraint an `integrity_error` broke.
enum class constraint_kind { unique, foreign_key, not_null, check, other };

/// Returns "unique", "foreign_key", "not_null", "check" or "other".
LOCKSTEP_API std::string_view to_string(constraint_kind kind) noexcept;

/// A constraint failed: the data is wrong. An enclosing savepoint block can recover.
class LOCKSTEP_API integrity_error : public error {
public:
    /// An integrity error of the given constraint kind.
    integrity_error(const std::string& message, constraint_kind constraint,
                    error_details details = {});
    /// Which kind of constraint was violated.
    constraint_kind constraint() const noexcept { return constraint_; }
    const char* kind() const noexcept override { return "integrity_error"; }

private:
    constraint_kind constraint_;
};

/// Deadlock, serialization failure or lock wait timeout: the whole transaction is over on every
/// engine. Retry the whole outermost atomic block (see `lockstep::retry`).
class LOCKSTEP_API transaction_conflict : public error {
public:
    using error::error;
    bool is_retryable() const noexcept override { return true; }
    bool poisons_transaction() const noexcept override { return true; }
    const char* kind() const noexcept override { return "transaction_conflict"; }
};

/// The connection was lost while COMMIT was in flight: the transaction may or may not have
/// committed. No hook ran and the connection is discarded. Check the data before retrying.
class LOCKSTEP_API commit_outcome_unknown : public error {
public:
    using error::error;
    bool poisons_transaction() const noexcept override { return true; }
    bool poisons_connection() const noexcept override { return true; }
    const char* kind() const noexcept override { return "commit_outcome_unknown"; }
};

/// A value the column cannot hold: too long, invalid UTF-8, a NUL in text, out of range.
class LOCKSTEP_API data_error : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "data_error"; }
};

/// The engine rejected the statement itself: a syntax error, an unknown table or column,
/// missing privileges. Fix the SQL or the schema.
class LOCKSTEP_API statement_error : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "statement_error"; }
};

/// The engine lacks a feature the call needs. Check `db.features()` first.
class LOCKSTEP_API not_supported : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "not_supported"; }
};

/// The engine ran out of something: disk space, memory, connections. The statement did nothing;
/// the engine may have ended the transaction (then the block re-raises this at its exit). Free
/// the resource, then retry the whole block.
class LOCKSTEP_API resource_error : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "resource_error"; }
};

/// The engine failed for a reason of its own that none of the classes above describes: an
/// internal error, a damaged database file, an interrupted statement, an exception raised by a
/// trigger. `native_code()` and `native_message()` say which. Repeating the same work rarely
/// helps; report it.
class LOCKSTEP_API engine_error : public error {
public:
    using error::error;
    const char* kind() const noexcept override { return "engine_error"; }
};

/// Throws an error of the same class as `original` (its constraint too, for `integrity_error`)
/// with `message` and `original`'s details: for re-raising the error that ended a transaction
/// when its block exits (semantics 2.3).
[[noreturn]] LOCKSTEP_API void throw_same_class(const error& original, const std::string& message);

} // namespace lockstep
