// The conformance matrix: the suite run once per target, and the transcript identity check
// across targets. `lockstep conform` renders it (report.hpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lockstep::cli {

/// One case on one target.
struct case_result {
    std::string status{}; ///< "passed", "failed" or "skipped"
    std::string reason{}; ///< why it was skipped or failed, when known
    std::vector<std::string> transcript{};
};

/// One target's run of the suite.
struct engine_run {
    std::string target{};      ///< URL scheme: "sqlite", "soci+mysql", ...
    std::string display_url{}; ///< redacted: never holds a password
    std::string server_version{};
    bool ran = false;    ///< false if the suite could not start (unreachable, bad URL)
    std::string error{}; ///< why it could not run
    int exit_code = 0;
    int passed = 0, failed = 0, skipped = 0;
    std::map<std::string, case_result> cases{};
    std::filesystem::path log{}; ///< Catch2's report, kept when something failed
};

/// A case whose transcript differs between targets where it passed.
struct transcript_difference {
    std::string case_name;
    std::vector<std::pair<std::string, std::vector<std::string>>> transcripts; ///< per target
};

/// Every target's run, the cases in suite order, and the differences between targets.
struct matrix {
    std::vector<engine_run> engines;
    std::vector<std::pair<std::string, std::vector<std::string>>> cases; ///< name, tags
    std::vector<transcript_difference> differences;

    /// Did everything run, nothing fail, and no transcript differ?
    bool ok() const;
};

/// Runs the conformance executable `binary` once per URL (the URL travels in the environment,
/// never on a command line), restricted to the Catch2 test spec `filter` if not empty, with a
/// progress bar on stderr; then compares transcripts. Up to `jobs` targets run at once; the
/// matrix keeps the order of `urls` whatever order they finish in.
matrix run_matrix(const std::string& binary, const std::vector<std::string>& urls,
                  const std::string& filter, const std::filesystem::path& work_dir, int jobs = 1);

/// Fills `m.differences` from the transcripts of cases that passed on several targets.
void find_differences(matrix& m);

/// The suite's cases (name and tags) matching `filter`, in suite order.
std::vector<std::pair<std::string, std::vector<std::string>>> list_cases(const std::string& binary,
                                                                         const std::string& filter);

} // namespace lockstep::cli
