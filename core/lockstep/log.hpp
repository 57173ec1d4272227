// The log sink: where Lockstep reports what it cannot throw (robust hook errors, a failed
// ROLLBACK during unwinding). Messages never contain passwords or bound values.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <functional>
#include <string_view>

namespace lockstep {

/// How bad a logged message is: a warning (a slow statement) or an error (a robust hook that
/// threw, a ROLLBACK that failed while unwinding).
enum class log_level { warning, error };

/// Receives Lockstep's log messages. The default sink writes them to stderr.
using log_sink = std::function<void(log_level, std::string_view)>;

/// Replaces the process-wide log sink; pass an empty function to restore the default. Thread-safe.
///
/// Example:
///
///     lockstep::set_log_sink([](lockstep::log_level, std::string_view m) { my_log(m); });
LOCKSTEP_API void set_log_sink(log_sink sink);

/// Sends `message` to the current sink. Thread-safe; never throws.
LOCKSTEP_API void log(log_level level, std::string_view message) noexcept;

} // namespace lockstep
