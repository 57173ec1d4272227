// Running a helper program without a shell: arguments as a vector, no quoting.
// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::cli {

/// Runs `argv[0]` (a path) with `argv`, the caller's environment plus `extra_env`
/// ("NAME=value" entries, which win over inherited ones), stderr written to `stderr_path`
/// (or discarded if empty), and calls `on_line` for each line the program writes on stdout.
/// Returns its exit status (128 + the signal if a signal ended it). Throws `std::runtime_error`
/// if the program cannot be started (with the reason, for example "No such file or directory").
int run_program(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                const std::string& stderr_path,
                const std::function<void(std::string_view)>& on_line);

/// The directory of the running program (from /proc/self/exe), so that an installed command finds
/// its helpers relative to itself.
std::string own_directory();

} // namespace lockstep::cli
