// A plugin that claims another Lockstep ABI: the loader must refuse it and name both versions.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/plugin.hpp"

extern "C" LOCKSTEP_API const lockstep::spi::plugin_info* lockstep_plugin_entry() {
    static const lockstep::spi::plugin_info info{lockstep::spi::plugin_abi_version + 1, "9.9.0",
                                                 "postgresql", nullptr};
    return &info;
}
