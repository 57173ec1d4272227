// The contention mode of lockstep-bench (contention.cpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

/// Runs `threads_per_url` threads on each of `urls` for `seconds`, each updating one of
/// `hot_rows` rows per block through lockstep::retry; prints commits/s and the rerun rate.
/// Returns 0 when every commit is counted exactly once.
int contention_mode(const std::vector<std::string>& urls, double seconds, int threads_per_url,
                    int hot_rows);
