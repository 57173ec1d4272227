// The subcommands of the `lockstep` program, each with its parsed options.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace lockstep::cli {

/// The exit codes of every subcommand (docs/ci.md), distinct so a CI job can tell them apart.
enum exit_code : int {
    exit_passed = 0,     ///< everything asked for ran and passed
    exit_failed = 1,     ///< a promise failed, or transcripts differ between targets
    exit_usage = 2,      ///< bad or missing options
    exit_cannot_run = 3, ///< unreachable server, missing driver, unwritable report
};

/// `--color`: whether text output uses ANSI colours.
enum class colour_choice { automatic, always, never };

/// Should output to `fd` be coloured? `never`/`always` decide; `automatic` colours a terminal
/// unless NO_COLOR is set to anything non-empty (https://no-color.org).
bool use_colour(colour_choice choice, int fd);

/// `lockstep demo [URL]`: the seed scenario; prints whether each row exists afterwards.
int demo(const std::string& url);

/// The options of `lockstep conform`.
struct conform_options {
    std::vector<std::string> urls;
    bool all = false;
    bool list = false;
    std::string filter;
    std::string format = "text";
    std::string output;
    std::vector<std::string> reports; ///< "FORMAT=FILE"
    colour_choice colour = colour_choice::automatic;
    int jobs = 1; ///< targets run at once (each its own process)
};

/// `lockstep conform`: runs the conformance suite per URL and prints a table.
int conform(const conform_options& options);

/// `lockstep probe URL [--format text|json]`: the engine, its version, driver, default isolation
/// and capabilities.
int probe(const std::string& url, const std::string& format);

/// `lockstep bench [--signals] [arguments for the benchmark program]`.
int bench(bool signals, const std::vector<std::string>& args);

/// Where the helper programs (the conformance runner, the benchmarks) are: `../libexec/lockstep`
/// from the running command, in the build tree as when installed.
std::string helper_program(const std::string& name);

} // namespace lockstep::cli
