// A liveness test for an idle libpq connection (semantics 8.6), without a round trip.
// SPDX-License-Identifier: MIT
#pragma once

typedef struct pg_conn PGconn;

namespace lockstep::postgresql {

/// Is the libpq connection still there? Polls its socket without blocking: an idle connection
/// whose socket is readable was closed by the server (a restart, a terminated backend).
bool is_alive(PGconn* conn) noexcept;

} // namespace lockstep::postgresql
