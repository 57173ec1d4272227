// PostgreSQL's SQLSTATE codes mapped to Lockstep's error classes, in one table.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/raise.hpp"

#include <string_view>

namespace lockstep::postgresql {

/// The class of a SQLSTATE; an empty SQLSTATE means libpq lost the connection.
spi::error_class classify(std::string_view sqlstate) noexcept;

/// Throws the lockstep error for a PostgreSQL failure. `native_message` is the server's primary
/// message only: its DETAIL line can quote the values of a row, which never go into an error.
[[noreturn]] void raise_error(std::string_view sqlstate, std::string_view native_message,
                              std::string_view sql);

} // namespace lockstep::postgresql
