// Registration of every engine a build of Lockstep includes; defined by lockstep::builtin.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

namespace lockstep {

/// Registers the driver of every engine this build of Lockstep includes. Defined by the
/// `lockstep::builtin` library (link it, or call `lockstep::sqlite::register_driver()` and its
/// siblings from `<lockstep/<engine>/driver.hpp>` for the engines you link yourself).
///
/// Example:
///
///     lockstep::register_builtin_drivers();
///     auto db = lockstep::connection::open("sqlite::memory:");
LOCKSTEP_API void register_builtin_drivers();

} // namespace lockstep
