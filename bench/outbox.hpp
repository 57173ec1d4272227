// The outbox mode of lockstep-bench (outbox.cpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <vector>

/// On each of `urls`: the cost of one `on_commit_durable` per op in W1 against an in-memory
/// `on_commit` hook (`ops` ops per block, `rounds` rounds), then the delivery latency from
/// COMMIT to the handler (median, p99) when woken in-process, by polling, and by NOTIFY.
/// Prints a table. Not a test: nothing asserts a timing.
int outbox_mode(const std::vector<std::string>& urls, int ops, int rounds);
