// The main() of Lockstep's unit-test executables (Catch2's default runner), compiled once into
// the lockstep_catch_main object library that each of them links.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
