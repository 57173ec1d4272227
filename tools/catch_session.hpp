// Catch2's session behind a small interface: Catch2's implementation is compiled once per build,
// in catch_session.cpp, and every test program shares it, the conformance runner included.
// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace lockstep::test_runner {

/// A test case the command line selects: its name and tags.
struct case_info {
    std::string name;
    std::vector<std::string> tags;
};

/// Catch2's session, with command-line options of the program's own.
///
/// Catch2 v2 declares its session only where its implementation is compiled, so a program that
/// adds options would compile all of Catch2 again (20 s, 50 s under ASan). This class lets it
/// use the one compiled copy instead:
///
///     lockstep::test_runner::session s;
///     std::string url;
///     s.add_option(url, "url", "--url", "database URL");
///     if (const int rc = s.parse(argc, argv); rc != 0)
///         return rc;
///     return s.run();
class session {
public:
    session();
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Adds `name VALUE`, which sets `value` (it must outlive the session); `hint` names the
    /// value in --help.
    void add_option(std::string& value, const std::string& hint, const std::string& name,
                    const std::string& help);
    /// Adds the flag `name`, which sets `value` to true (it must outlive the session).
    void add_flag(bool& value, const std::string& name, const std::string& help);

    /// Reads the command line: Catch2's options and the added ones. Returns non-zero (Catch2's
    /// code) on a usage error, which Catch2 has already reported.
    int parse(int argc, char* argv[]);
    /// Whether the command line asks only for a listing or for help, which run() answers.
    bool only_lists() const;
    /// The cases the command line selects, in the order Catch2 runs them.
    std::vector<case_info> selected_cases() const;
    /// Runs the selected cases (or answers a listing); Catch2's exit code.
    int run();

private:
    struct state;
    std::unique_ptr<state> state_;
};

} // namespace lockstep::test_runner
