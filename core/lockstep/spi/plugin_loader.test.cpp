// Unit tests of the plugin loader's refusals (semantics 8.8), against real dlopen of the broken
// plugins that core/testing/plugins/ builds.
// SPDX-License-Identifier: MIT
#include "lockstep/connection.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/spi/plugin.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

using namespace lockstep;
using Catch::Matchers::Contains;

namespace {

/// Points LOCKSTEP_PLUGIN_PATH at one directory for the scope's life.
class plugin_path {
public:
    explicit plugin_path(const std::string& dir) {
        if (const char* old = std::getenv("LOCKSTEP_PLUGIN_PATH"))
            old_ = old;
        ::setenv("LOCKSTEP_PLUGIN_PATH", dir.c_str(), 1);
    }
    ~plugin_path() {
        if (old_.empty())
            ::unsetenv("LOCKSTEP_PLUGIN_PATH");
        else
            ::setenv("LOCKSTEP_PLUGIN_PATH", old_.c_str(), 1);
    }
    plugin_path(const plugin_path&) = delete;
    plugin_path& operator=(const plugin_path&) = delete;

private:
    std::string old_;
};

std::string test_plugins(const std::string& kind) {
    return std::string(LOCKSTEP_TEST_PLUGINS) + "/" + kind;
}

} // namespace

TEST_CASE("A plugin built for another Lockstep ABI is refused, naming both versions", "[plugin]") {
    const plugin_path path(test_plugins("wrong_abi"));
    REQUIRE_THROWS_MATCHES(spi::load_plugin("postgresql"), configuration_error,
                           Catch::Matchers::Predicate<configuration_error>([](const auto& e) {
                               const std::string m = e.what();
                               return m.find("built for Lockstep 9.9.0") != std::string::npos &&
                                      m.find(std::string("runs Lockstep ") +
                                             LOCKSTEP_VERSION_STRING) != std::string::npos;
                           }));
}

TEST_CASE("A plugin that cannot be loaded is refused with the loader's reason", "[plugin]") {
    const plugin_path path(test_plugins("unloadable"));
    REQUIRE_THROWS_WITH(spi::load_plugin("postgresql"),
                        Contains("Could not load the Lockstep plugin") &&
                            Contains("lockstep_test_symbol_that_nothing_defines"));
}

TEST_CASE("A shared library without the entry point is refused as not a plugin", "[plugin]") {
    const plugin_path path(test_plugins("not_a_plugin"));
    REQUIRE_THROWS_WITH(spi::load_plugin("postgresql"),
                        Contains("is not a Lockstep plugin") && Contains("lockstep_plugin_entry"));
}

TEST_CASE("A plugin that serves another family than its file name is refused", "[plugin]") {
    const plugin_path path(test_plugins("wrong_family"));
    REQUIRE_THROWS_WITH(spi::load_plugin("postgresql"),
                        Contains("serves \"mysql\", not \"postgresql\""));
}

TEST_CASE("A URL whose driver is neither linked in nor a plugin names what was searched",
          "[plugin]") {
    const plugin_path path(test_plugins("wrong_family")); // holds lockstep-postgresql.so only
    const auto found = spi::available_plugins();
    CHECK(std::find(found.begin(), found.end(), "postgresql") != found.end());
    if (std::find(found.begin(), found.end(), "mysql") != found.end()) {
        // A shared build: the real plugins sit beside liblockstep.so, so this is the success
        // path instead: the MySQL plugin loads, registers its driver and serves "mysql".
        const auto loaded = spi::load_plugin("mysql");
        REQUIRE(loaded != nullptr);
        CHECK(loaded->name() == "mysql");
        CHECK(spi::find_driver("mysql") == loaded);
        return;
    }
    CHECK(spi::load_plugin("mysql") == nullptr);
    REQUIRE_THROWS_WITH(connection::open("mysql://app:secret@127.0.0.1/app"),
                        Contains("needs the mysql driver") &&
                            Contains("plugins found: postgresql") &&
                            Contains(test_plugins("wrong_family")) &&
                            Contains("lockstep-mysql.so") && !Contains("secret"));
}

TEST_CASE("LOCKSTEP_PLUGIN_PATH entries are searched in order, empty entries skipped", "[plugin]") {
    const plugin_path path("/nonexistent/a::" + test_plugins("wrong_abi"));
    const auto dirs = spi::plugin_directories();
    REQUIRE(dirs.size() >= 2);
    CHECK(dirs[0] == "/nonexistent/a");
    CHECK(dirs[1] == test_plugins("wrong_abi"));
    CHECK_THROWS_AS(spi::load_plugin("postgresql"), configuration_error); // found in the second
}
