// Options of an atomic block, shared by lockstep::atomic and the transaction manager.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"
#include "lockstep/value.hpp"

namespace lockstep {

/// How an atomic block behaves.
///
/// Example:
///
///     lockstep::atomic(db, body, {.savepoint = false});
///     lockstep::atomic(db, body, {.durable = true, .isolation =
///     lockstep::isolation_level::serializable});
struct LOCKSTEP_API atomic_options {
    /// Does a nested block get its own savepoint? With `false`, an exception from the block marks
    /// the enclosing block for rollback and cannot be recovered by catching it (semantics 1.2).
    bool savepoint = true;
    /// Must this block be the outermost one? A durable block refuses to nest (semantics 1.3).
    bool durable = false;
    /// Isolation level of the transaction; only the outermost block may choose one.
    /// `engine_default` uses the URL's `isolation` option, or else the engine's default.
    isolation_level isolation = isolation_level::engine_default;
};

} // namespace lockstep
