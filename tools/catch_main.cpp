// The main() of Lockstep's unit-test executables (Catch2's default runner).
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
