// The `lockstep` command: dispatches to its subcommands and turns errors into clear messages.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <iostream>
#include <lockstep/builtin.hpp>
#include <lockstep/lockstep.hpp>

namespace {

constexpr const char* usage =
    "usage: lockstep <command> [options]\n"
    "\n"
    "commands:\n"
    "  demo [URL]                 run the seed scenario (default: a SQLite file in a temp dir)\n"
    "  conform [--url URL]... [--all] [--filter SPEC] [--list] [--format F] [--output FILE]\n"
    "                             run the conformance suite against each URL as one matrix\n"
    "                             (default: embedded SQLite, sqlite::memory:)\n"
    "  probe URL                  show the engine, its version and every capability\n"
    "  bench [--url URL]... [--workload W1,W2,W3r,W3b,W4] [--pin] [--rounds N] [--scale F]\n"
    "        [--json FILE]        the workloads through the raw driver, Lockstep and SOCI\n"
    "  bench --rss BLOCKS         RSS over many atomic blocks with hooks and receivers\n"
    "  bench --signals            signal dispatch against std::function loops and Boost\n"
    "  help                       show this text\n"
    "  --version                  show Lockstep's version\n";

} // namespace

int main(int argc, char* argv[]) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        std::cout << usage;
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version" || args[0] == "version") {
        std::cout << "lockstep " << lockstep::version() << '\n';
        return 0;
    }
#if !defined(LOCKSTEP_DRIVERS_FROM_PLUGINS) // a shared build loads each engine's plugin on demand
    lockstep::register_builtin_drivers();
#endif
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (args[0] == "demo")
            return lockstep::cli::demo(rest);
        if (args[0] == "conform")
            return lockstep::cli::conform(rest);
        if (args[0] == "probe")
            return lockstep::cli::probe(rest);
        if (args[0] == "bench")
            return lockstep::cli::bench(rest);
    } catch (const lockstep::error& e) {
        std::cerr << "lockstep " << args[0] << ": " << e.kind() << ": " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "lockstep " << args[0] << ": " << e.what() << '\n';
        return 1;
    }
    std::cerr << "lockstep: unknown command \"" << args[0] << "\"\n\n" << usage;
    return 2;
}
