// Keeps libpq's notices off the host's standard error stream; shared by both PostgreSQL paths.
// SPDX-License-Identifier: MIT
#include "postgresql/notices.hpp"

#include <libpq-fe.h>

namespace lockstep::postgresql {

namespace {
void ignore_notice(void*, const char*) {}
} // namespace

void silence_notices(PGconn* conn) noexcept {
    if (conn != nullptr)
        PQsetNoticeProcessor(conn, ignore_notice, nullptr);
}

} // namespace lockstep::postgresql
