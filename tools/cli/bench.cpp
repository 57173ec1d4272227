// `lockstep bench`: runs the benchmark programs installed beside the conformance runner (bench/):
// the workloads W1-W4 through the raw driver, Lockstep and SOCI, or with --signals the dispatch
// microbenchmark.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace lockstep::cli {

int bench(bool signals, const std::vector<std::string>& args) {
    const auto program = helper_program(signals ? "lockstep-signal-bench" : "lockstep-bench");
    if (!std::filesystem::exists(program)) {
        std::cerr << "lockstep bench: " << program << " is not there: this build has no "
                  << "benchmarks (configure with LOCKSTEP_BUILD_BENCHMARKS=ON and every engine "
                  << "enabled).\n";
        return exit_cannot_run;
    }
    std::vector<std::string> rest = args;
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (auto& a : rest)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    std::cerr << "lockstep bench: cannot run " << program << ": " << std::strerror(errno) << "\n";
    return exit_cannot_run;
}

} // namespace lockstep::cli
