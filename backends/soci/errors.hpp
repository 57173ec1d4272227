// SOCI's exceptions translated into Lockstep's error classes: by the backend's own native code
// (SQLite result code, PostgreSQL SQLSTATE, MySQL error number) through that engine's table,
// and by SOCI's coarse category only for backends Lockstep has no table for.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/raise.hpp"

#include <string_view>

namespace soci {
class soci_error;
}

namespace lockstep::soci {

/// The class for SOCI's own category, used when no native code is known.
spi::error_class classify_category(int soci_category) noexcept;

/// Throws the lockstep error for `e`, raised while running `sql` on the `engine` family.
[[noreturn]] void raise_error(const ::soci::soci_error& e, std::string_view engine,
                              std::string_view sql);

} // namespace lockstep::soci
