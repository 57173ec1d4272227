// The fault tests' set-up: registers the built-in engines before the shared Catch2 main
// (tools/catch_main.cpp) runs the first test, so no fault test compiles Catch2's runner again.
// SPDX-License-Identifier: MIT
#include <lockstep/builtin.hpp>

void lockstep_test_setup();

void lockstep_test_setup() {
    lockstep::register_builtin_drivers();
}
