// MySQL/MariaDB server and client error numbers mapped to Lockstep's error classes, in one table.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/raise.hpp"

#include <string>
#include <string_view>

namespace lockstep::mysql {

/// The class of a MySQL error number (server 1xxx-4xxx, client 2xxx), with its SQLSTATE as a
/// fallback for numbers the table does not name.
spi::error_class classify(int error_number, std::string_view sqlstate) noexcept;

/// The server's message with the quoted values it may contain ("Duplicate entry 'x' for key")
/// replaced by '***': errors never carry bound values (semantics 6.1).
std::string without_values(int error_number, std::string message);

/// Throws the lockstep error for a MySQL failure.
[[noreturn]] void raise_error(int error_number, std::string_view sqlstate,
                              std::string_view native_message, std::string_view sql);

} // namespace lockstep::mysql
