// The main() of Lockstep's unit-test executables, compiled once into the lockstep_catch_main
// object library that each of them links, over the one compiled Catch2 (catch_session.hpp).
// SPDX-License-Identifier: MIT
#include "catch_session.hpp"

#include <cstdlib>
#include <iostream>

/// Defined by a test executable that needs a server: the environment variable holding its URL.
/// Without it set, the executable skips (exit 77, ctest's SKIP_RETURN_CODE).
[[gnu::weak]] extern const char* const lockstep_required_url_variable;

/// Defined by a test executable that needs set-up before its first test (the fault tests
/// register the built-in engines); called once, before Catch2 reads the command line.
[[gnu::weak]] void lockstep_test_setup();

int main(int argc, char* argv[]) {
    if (&lockstep_required_url_variable != nullptr) {
        const char* url = std::getenv(lockstep_required_url_variable);
        if (url == nullptr || *url == '\0') {
            std::cout << lockstep_required_url_variable
                      << " is not set (run ci/services up); skipping.\n";
            return 77;
        }
    }
    if (lockstep_test_setup != nullptr)
        lockstep_test_setup();
    lockstep::test_runner::session session;
    if (const int rc = session.parse(argc, argv); rc != 0)
        return rc;
    return session.run();
}
