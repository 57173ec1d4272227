// LOCKSTEP_API: the one export macro; marks what a shared Lockstep library exports.
// SPDX-License-Identifier: MIT
#pragma once

/// Marks a declaration as part of the API that Lockstep's libraries export. Lockstep's own code
/// is compiled with hidden visibility, so in a shared build (BUILD_SHARED_LIBS=ON) only what
/// carries this macro is visible outside the library; in a static build it changes nothing.
/// Third-party backends mark their plugin entry point through LOCKSTEP_PLUGIN instead.
#if defined(_WIN32)
#define LOCKSTEP_API
#else
#define LOCKSTEP_API __attribute__((visibility("default")))
#endif
