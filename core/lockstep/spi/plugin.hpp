// Plugins: a shared library per engine that a program linked only to lockstep::core loads at
// run time, by URL scheme, from the plugin directory.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"
#include "lockstep/spi/driver.hpp"
#include "lockstep/version.hpp"

#include <memory>
#include <string>
#include <vector>

namespace lockstep::spi {

/// The ABI a plugin is built for. Before 1.0 every minor version may change the ABI, so the
/// number is major * 1000 + minor; a plugin whose number differs from the core's is refused.
inline constexpr int plugin_abi_version = LOCKSTEP_VERSION_MAJOR * 1000 + LOCKSTEP_VERSION_MINOR;

/// What a plugin's entry point returns. The first two members never move, so that a core of any
/// version can read a plugin's ABI and version before it trusts the rest.
struct plugin_info {
    int abi_version;     ///< `plugin_abi_version` when the plugin was compiled
    const char* version; ///< `LOCKSTEP_VERSION_STRING` when the plugin was compiled
    const char* name;    ///< the driver family it serves: "sqlite", "postgresql", ...
    std::shared_ptr<const driver> (*make_driver)(); ///< makes the plugin's driver
};

/// The symbol a plugin exports: `extern "C" const lockstep::spi::plugin_info*
/// lockstep_plugin_entry()`.
inline constexpr const char* plugin_entry_symbol = "lockstep_plugin_entry";

/// The file the loader opens for a driver family: `lockstep-<name>.so`.
LOCKSTEP_API std::string plugin_file_name(std::string_view name);

/// The directories searched for plugins, in order: each entry of `LOCKSTEP_PLUGIN_PATH`
/// (colon-separated), then `lockstep/plugins` beside the shared core library (a static core has
/// no such directory).
LOCKSTEP_API std::vector<std::string> plugin_directories();

/// The driver families whose plugins sit in `plugin_directories()`, sorted, without duplicates.
LOCKSTEP_API std::vector<std::string> available_plugins();

/// Loads the plugin for `name` from the first directory that has one, registers its driver and
/// returns it; null if no directory has one. Throws `configuration_error` if the file exists but
/// cannot be loaded (with the loader's reason), is not a Lockstep plugin, serves another family,
/// or was built for another Lockstep ABI (with both versions).
LOCKSTEP_API std::shared_ptr<const driver> load_plugin(std::string_view name);

} // namespace lockstep::spi

/// Defines a plugin's entry point. In the plugin's one source file:
///
///     #include "lockstep/spi/plugin.hpp"
///     LOCKSTEP_PLUGIN("oracle", my::make_oracle_driver)
///
/// then build it as a module named `lockstep-oracle.so` linked to the shared lockstep::core, and
/// put it in a plugin directory.
#define LOCKSTEP_PLUGIN(family, make)                                                              \
    extern "C" LOCKSTEP_API const lockstep::spi::plugin_info* lockstep_plugin_entry() {            \
        static const lockstep::spi::plugin_info info{lockstep::spi::plugin_abi_version,            \
                                                     LOCKSTEP_VERSION_STRING, family, &(make)};    \
        return &info;                                                                              \
    }
