// The main() of the fault tests: registers the built-in engines, then runs Catch2.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <lockstep/builtin.hpp>
#include <lockstep/lockstep.hpp>

int main(int argc, char** argv) {
    lockstep::register_builtin_drivers();
    return Catch::Session().run(argc, argv);
}
