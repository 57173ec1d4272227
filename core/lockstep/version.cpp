// The library's version, compiled in: a program can compare it with the headers' version.
// SPDX-License-Identifier: MIT
#include "lockstep/version.hpp"

namespace lockstep {

const char* version() noexcept {
    return LOCKSTEP_VERSION_STRING;
}

} // namespace lockstep
