// The PostgreSQL driver: postgresql:// (and postgres://) URLs, on libpq.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/driver.hpp"

#include <memory>

namespace lockstep::postgresql {

/// The driver for `postgresql://user:pass@host:port/db?opt=v` URLs. A host that is a directory
/// (`%2Frun%2Fpostgresql`) is a Unix-socket directory. Options: `lock_timeout=<ms>`, `isolation`,
/// and any libpq connection keyword (`sslmode`, `application_name`, `connect_timeout`, ...).
LOCKSTEP_API std::shared_ptr<const spi::driver> make_driver();

/// Registers the PostgreSQL driver with the core's registry.
LOCKSTEP_API void register_driver();

} // namespace lockstep::postgresql
