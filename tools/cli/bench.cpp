// `lockstep bench`: runs the benchmark programs built beside it (bench/): the workloads W1-W4
// through the raw driver, Lockstep and SOCI, or with --signals the dispatch microbenchmark.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <iostream>
#include <unistd.h>

namespace lockstep::cli {

int bench(const std::vector<std::string>& args) {
#if !defined(LOCKSTEP_BENCH_BINARY)
    (void)args;
    std::cerr << "lockstep bench: this build has no benchmarks (configure with "
                 "LOCKSTEP_BUILD_BENCHMARKS=ON and every engine enabled).\n";
    return 1;
#else
    const bool signals = !args.empty() && args[0] == "--signals";
    const std::string program = signals ? LOCKSTEP_SIGNAL_BENCH_BINARY : LOCKSTEP_BENCH_BINARY;
    std::vector<std::string> rest(args.begin() + (signals ? 1 : 0), args.end());
    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (auto& a : rest)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    std::cerr << "lockstep bench: cannot run " << program << "\n";
    return 1;
#endif
}

} // namespace lockstep::cli
