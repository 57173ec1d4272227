// The growth mode of lockstep-bench (growth.cpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

/// Measures, on each of `urls`, the cost per operation as one dimension of the work grows
/// (`dimensions`: savepoint_depth, receivers, hooks, rows, statements, threads; empty: all), up
/// to `max_rows` rows per block; prints a table per dimension and, with `json_path`, writes
/// every point as JSON for tools/perf_chart.py --growth. Returns 0 unless a check failed.
int growth_mode(const std::vector<std::string>& urls, const std::vector<std::string>& dimensions,
                long max_rows, const std::string& json_path);
