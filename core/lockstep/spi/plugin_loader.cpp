// Finds and loads engine plugins (dlopen) for driver families that are not linked in.
// SPDX-License-Identifier: MIT
#include "lockstep/errors.hpp"
#include "lockstep/spi/plugin.hpp"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <mutex>
#include <system_error>

namespace lockstep::spi {
namespace {

std::mutex load_mutex; // one thread loads at a time; dlopen itself is thread-safe

/// `lockstep/plugins` beside the shared library that holds this code, or empty in a static
/// build (a program's own directory is no plugin directory).
std::string directory_beside_core() {
#if defined(LOCKSTEP_SHARED_CORE)
    static const int anchor = 0;
    Dl_info where{};
    if (dladdr(&anchor, &where) == 0 || where.dli_fname == nullptr)
        return {};
    return (std::filesystem::path(where.dli_fname).parent_path() / "lockstep" / "plugins").string();
#else
    return {};
#endif
}

bool is_file(const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec);
}

} // namespace

std::string plugin_file_name(std::string_view name) {
    return "lockstep-" + std::string(name) + ".so";
}

std::vector<std::string> plugin_directories() {
    std::vector<std::string> dirs;
    if (const char* path = std::getenv("LOCKSTEP_PLUGIN_PATH")) {
        std::string_view rest = path;
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const auto entry = rest.substr(0, colon);
            if (!entry.empty())
                dirs.emplace_back(entry);
            rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
        }
    }
    if (auto beside = directory_beside_core(); !beside.empty())
        dirs.push_back(std::move(beside));
    return dirs;
}

std::vector<std::string> available_plugins() {
    std::vector<std::string> names;
    for (const auto& dir : plugin_directories()) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
            const auto file = entry.path().filename().string();
            if (file.starts_with("lockstep-") && file.ends_with(".so") && file.size() > 12)
                names.push_back(file.substr(9, file.size() - 12));
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::shared_ptr<const driver> load_plugin(std::string_view name) {
    std::filesystem::path file;
    for (const auto& dir : plugin_directories()) {
        if (auto candidate = std::filesystem::path(dir) / plugin_file_name(name);
            is_file(candidate)) {
            file = std::move(candidate);
            break;
        }
    }
    if (file.empty())
        return nullptr;

    const std::lock_guard lock(load_mutex);
    if (auto loaded = find_driver(name))
        return loaded; // another thread loaded it meanwhile
    // RTLD_LOCAL: the plugin's engine library stays out of the program's symbol space. The
    // handle is never closed: the driver and every session it opens run code from it.
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
        const char* why = dlerror();
        throw configuration_error("Could not load the Lockstep plugin " + file.string() + ": " +
                                  (why != nullptr ? why : "unknown reason") +
                                  ". Check that the engine's client library is installed (ldd " +
                                  "shows what is missing), or remove the file.");
    }
    void* entry = dlsym(handle, plugin_entry_symbol);
    if (entry == nullptr)
        throw configuration_error(file.string() + " is not a Lockstep plugin: it has no " +
                                  plugin_entry_symbol + " function. Remove it from the plugin " +
                                  "directory, or rebuild it with LOCKSTEP_PLUGIN.");
    // POSIX guarantees that a data pointer from dlsym converts to a function pointer.
    using entry_function = const plugin_info* (*)();
    const auto* info = reinterpret_cast<entry_function>(entry)();
    if (info == nullptr || info->abi_version != plugin_abi_version)
        throw configuration_error(
            "The Lockstep plugin " + file.string() + " was built for Lockstep " +
            (info != nullptr && info->version != nullptr ? info->version
                                                         : "of an unknown version") +
            ", but this program runs Lockstep " + LOCKSTEP_VERSION_STRING +
            ", whose ABI differs. Install the plugin built with Lockstep " +
            LOCKSTEP_VERSION_STRING + ".");
    if (info->name == nullptr || name != info->name)
        throw configuration_error("The Lockstep plugin " + file.string() + " serves \"" +
                                  (info->name != nullptr ? info->name : "") + "\", not \"" +
                                  std::string(name) + "\". Rename or remove the file.");
    auto made = info->make_driver();
    register_driver(made);
    return made;
}

} // namespace lockstep::spi
