// The bulk mode of lockstep-bench (bulk.cpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <vector>

/// Loads `rows` rows on each of `urls` by hand (the engine's fastest path), with bulk_insert and
/// with a loop of add, `rounds` times each; prints medians and ratios. Returns 0 when every way
/// stored every row.
int bulk_mode(const std::vector<std::string>& urls, std::size_t rows, int rounds);
