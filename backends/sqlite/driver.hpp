// The SQLite driver: sqlite::memory: and sqlite:///path URLs, on the SQLite C API.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/driver.hpp"

#include <memory>

namespace lockstep::sqlite {

/// The driver for `sqlite:` URLs. Options: `begin=deferred|immediate|exclusive` (default
/// deferred), `busy_timeout=<ms>` (default 5000),
/// `journal_mode=delete|truncate|persist|memory|wal|off`.
LOCKSTEP_API std::shared_ptr<const spi::driver> make_driver();

/// Registers the SQLite driver with the core's registry.
LOCKSTEP_API void register_driver();

} // namespace lockstep::sqlite
