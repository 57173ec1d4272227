// A module that needs a symbol no library defines, so dlopen(RTLD_NOW) fails.
// SPDX-License-Identifier: MIT
extern "C" int lockstep_test_symbol_that_nothing_defines();

extern "C" __attribute__((visibility("default"))) int call_the_missing_symbol() {
    return lockstep_test_symbol_that_nothing_defines();
}
