// A plugin of the current ABI that serves another family than its file name says.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/plugin.hpp"

extern "C" LOCKSTEP_API const lockstep::spi::plugin_info* lockstep_plugin_entry() {
    static const lockstep::spi::plugin_info info{lockstep::spi::plugin_abi_version,
                                                 LOCKSTEP_VERSION_STRING, "mysql", nullptr};
    return &info;
}
