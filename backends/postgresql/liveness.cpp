// A liveness test for an idle libpq connection that needs no round trip; shared by the native
// adapter and the SOCI adapter's PostgreSQL backend.
// SPDX-License-Identifier: MIT
#include "postgresql/liveness.hpp"

#include <libpq-fe.h>
#include <poll.h>

namespace lockstep::postgresql {

bool is_alive(PGconn* conn) noexcept {
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK)
        return false;
    // An idle connection has nothing to read. If the socket is readable, the server said
    // something on its own: a FATAL message before it closed (a terminated backend, a shutdown),
    // or the close itself. Reading until nothing is left tells which, without a round trip:
    // at the end of the stream libpq fails to read and the connection is gone.
    for (int reads = 0; reads < 8; ++reads) {
        pollfd fd{PQsocket(conn), POLLIN, 0};
        if (fd.fd < 0 || ::poll(&fd, 1, 0) < 0)
            return false;
        if (fd.revents == 0)
            return PQstatus(conn) == CONNECTION_OK;
        if (PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK)
            return false;
    }
    return false; // still readable after all that: not an idle, healthy session
}

} // namespace lockstep::postgresql
