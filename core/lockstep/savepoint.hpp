// Manual savepoints for advanced use: Django's savepoint() / savepoint_rollback(), except that
// rolling back also discards the hooks registered since (semantics 4.2).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection.hpp"
#include "lockstep/export.hpp"

#include <cstdint>

namespace lockstep {

/// A savepoint inside the current atomic block, with a generated name (semantics 1.6).
///
/// Savepoints end in the reverse order of creation. One left open when its atomic block exits
/// becomes part of that block. Prefer a nested `lockstep::atomic`, which cannot be misused.
///
/// Example:
///
///     lockstep::atomic(db, [&] {
///         lockstep::savepoint sp(db);
///         try { risky(db); sp.release(); }
///         catch (const lockstep::integrity_error&) { sp.rollback(); }
///     });
class LOCKSTEP_API savepoint {
public:
    /// Creates a savepoint. Throws `usage_error` outside an atomic block.
    explicit savepoint(connection& db)
        : db_(&db), id_(detail::connection_access::transactions(db).create_manual_savepoint()) {}
    savepoint(const savepoint&) = delete;
    savepoint& operator=(const savepoint&) = delete;

    /// Undoes everything since the savepoint was created, including hooks registered since and
    /// a failed statement's mark; the savepoint stays open.
    void rollback() {
        detail::connection_access::transactions(*db_).rollback_manual_savepoint(id_);
    }
    /// Keeps the work and closes the savepoint.
    void release() { detail::connection_access::transactions(*db_).release_manual_savepoint(id_); }
    /// Is the savepoint still open?
    bool is_open() const {
        return detail::connection_access::transactions(*db_).is_manual_savepoint_open(id_);
    }

private:
    connection* db_;
    std::uint64_t id_;
};

} // namespace lockstep
