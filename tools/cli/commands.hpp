// The subcommands of the `lockstep` program.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

namespace lockstep::cli {

/// `lockstep demo [URL]`: the seed scenario; prints whether each row exists afterwards.
int demo(const std::vector<std::string>& args);

/// `lockstep conform [--url URL]...`: runs the conformance suite per URL and prints a table.
int conform(const std::vector<std::string>& args);

/// `lockstep probe URL`: the engine, its version, driver, default isolation and capabilities.
int probe(const std::vector<std::string>& args);

/// `lockstep bench [--url URL]... [--workload W1,...] [--pin] [--rounds N] [--scale F]
/// [--json FILE] | --rss BLOCKS | --signals [google benchmark flags]`.
int bench(const std::vector<std::string>& args);

} // namespace lockstep::cli
