// Keeps libpq's notices off the host's standard error stream; shared by both PostgreSQL paths.
// SPDX-License-Identifier: MIT
#pragma once

typedef struct pg_conn PGconn;

namespace lockstep::postgresql {

/// Stops libpq from printing the server's notices ("table ... does not exist, skipping") on
/// standard error, which it does by default. They are not errors, and a library must not write
/// to its host's streams. Used by the native adapter and the SOCI adapter's PostgreSQL backend.
void silence_notices(PGconn* conn) noexcept;

} // namespace lockstep::postgresql
