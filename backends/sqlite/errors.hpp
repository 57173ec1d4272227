// SQLite's extended result codes mapped to Lockstep's error classes, in one table.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/spi/raise.hpp"

#include <string_view>

namespace lockstep::sqlite {

/// The class of an SQLite extended result code. `native_message` settles the one code SQLite
/// overloads: ON DELETE RESTRICT fails with SQLITE_CONSTRAINT_TRIGGER and the message
/// "FOREIGN KEY constraint failed".
spi::error_class classify(int extended_code, std::string_view native_message = {}) noexcept;

/// Throws the lockstep error for an SQLite failure. Never includes bound values. `file`, when
/// given, is named in the message where it is the point (read-only, damaged, full).
[[noreturn]] void raise_error(int extended_code, std::string_view native_message,
                              std::string_view sql, std::string_view file = {});

} // namespace lockstep::sqlite
