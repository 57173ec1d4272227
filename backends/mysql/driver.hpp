// The MySQL/MariaDB driver: mysql:// (and mariadb://) URLs, on MySQL Connector/C++.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/driver.hpp"

#include <memory>

namespace lockstep::mysql {

/// The driver for `mysql://user:pass@host:port/db?opt=v` URLs; a host that is a path
/// (`%2Frun%2Fmysqld%2Fmysqld.sock`) is a Unix socket. Options: `lock_timeout=<ms>` (rounded up
/// to whole seconds, innodb_lock_wait_timeout), `isolation`, `connect_timeout=<s>`.
LOCKSTEP_API std::shared_ptr<const spi::driver> make_driver();

/// Registers the MySQL driver with the core's registry.
LOCKSTEP_API void register_driver();

} // namespace lockstep::mysql
