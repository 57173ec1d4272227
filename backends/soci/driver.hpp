// The SOCI driver: soci+<backend>:// URLs, on SOCI 4.0.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/driver.hpp"

#include <memory>

namespace lockstep::soci {

/// The driver for every `soci+<backend>://` URL. `soci+sqlite3`, `soci+postgresql` and
/// `soci+mysql` take the native forms (`soci+sqlite3://:memory:`, `soci+sqlite3:///abs.db`,
/// `soci+postgresql://user:pass@host:port/db`, `soci+mysql://user:pass@host:port/db`); any other
/// SOCI backend is loaded by name and takes its SOCI connect string in `?connect=...`.
LOCKSTEP_API std::shared_ptr<const spi::driver> make_driver();

/// Registers the SOCI driver with the core's registry.
LOCKSTEP_API void register_driver();

} // namespace lockstep::soci
