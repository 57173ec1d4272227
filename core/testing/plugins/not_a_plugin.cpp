// A shared library without Lockstep's entry point.
// SPDX-License-Identifier: MIT
extern "C" __attribute__((visibility("default"))) int not_a_lockstep_plugin() {
    return 1;
}
