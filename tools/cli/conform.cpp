// `lockstep conform`: the conformance suite on one or more targets, as one matrix with the
// transcript identity check, rendered as text, JSON, JUnit XML or Markdown.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "matrix.hpp"
#include "report.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <unistd.h>

namespace lockstep::cli {
namespace {

// The server targets `--all` runs, in matrix order, by the variables ci/services writes.
// PostgreSQL again with pipeline=on (semantics 10) follows PostgreSQL; a Galera node
// (ci/services up galera) is a target when its URL is there.
constexpr const char* server_variables[] = {
    "LOCKSTEP_POSTGRESQL_URL", "LOCKSTEP_POSTGRESQL_PIPELINE_URL", "LOCKSTEP_MYSQL_URL",
    "LOCKSTEP_GALERA_URL",     "LOCKSTEP_SOCI_POSTGRESQL_URL",     "LOCKSTEP_SOCI_MYSQL_URL"};

std::map<std::string, std::string> read_env_file() {
    std::map<std::string, std::string> values;
    std::vector<std::filesystem::path> candidates;
    if (const char* explicit_file = std::getenv("LOCKSTEP_SERVICES_ENV"))
        candidates.emplace_back(explicit_file);
    for (auto dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
        candidates.push_back(dir / ".lockstep/services/env");
        if (dir == dir.root_path())
            break;
    }
    for (const auto& path : candidates) {
        std::ifstream in(path);
        if (!in)
            continue;
        for (std::string line; std::getline(in, line);)
            if (const auto eq = line.find('='); eq != std::string::npos)
                values[line.substr(0, eq)] = line.substr(eq + 1);
        break;
    }
    return values;
}

std::vector<std::string> all_urls(const std::filesystem::path& work_dir) {
    std::vector<std::string> urls{"sqlite://" + (work_dir / "sqlite.db").string()};
    const auto file = read_env_file();
    std::vector<std::string> servers;
    for (const char* variable : server_variables) {
        const char* value = std::getenv(variable);
        if (value != nullptr && *value != '\0')
            servers.emplace_back(value);
        else if (const auto it = file.find(variable); it != file.end())
            servers.push_back(it->second);
    }
    if (servers.empty())
        std::cerr << "lockstep conform --all: no server URLs found (run ci/services up); running "
                     "the embedded targets only\n";
    // Natives first, then SOCI, each family in the same order.
    for (std::size_t i = 0; i < servers.size(); ++i)
        if (!servers[i].starts_with("soci+"))
            urls.push_back(servers[i]);
    urls.push_back("soci+sqlite3://" + (work_dir / "soci-sqlite3.db").string());
    for (std::size_t i = 0; i < servers.size(); ++i)
        if (servers[i].starts_with("soci+"))
            urls.push_back(servers[i]);
    return urls;
}

} // namespace

int conform(const conform_options& options) {
    auto urls = options.urls;
    const auto& format = options.format;
    const auto& output = options.output;
    const auto& filter = options.filter;
    std::vector<std::pair<std::string, std::string>> extra_reports;
    for (const auto& spec : options.reports) // checked as FORMAT=FILE by the parser
        extra_reports.emplace_back(spec.substr(0, spec.find('=')), spec.substr(spec.find('=') + 1));
    const auto binary = helper_program("lockstep-conformance");
    if (!std::filesystem::exists(binary)) {
        std::cerr << "lockstep conform: the conformance runner " << binary << " is not there; "
                  << "reinstall Lockstep (it installs the runner in libexec/lockstep).\n";
        return exit_cannot_run;
    }
    if (options.list) {
        for (const auto& [name, tags] : list_cases(binary, filter)) {
            std::cout << name;
            for (const auto& tag : tags)
                std::cout << " [" << tag << "]";
            std::cout << "\n";
        }
        return exit_passed;
    }

    const auto work_dir =
        std::filesystem::temp_directory_path() / ("lockstep-conform-" + std::to_string(::getpid()));
    std::filesystem::create_directories(work_dir);
    if (options.all) {
        const auto more = all_urls(work_dir);
        urls.insert(urls.end(), more.begin(), more.end());
    }
    if (urls.empty())
        urls.push_back("sqlite::memory:");

    const auto m = run_matrix(binary, urls, filter, work_dir, options.jobs);
    const auto render = [&](const std::string& f, bool colour) {
        if (f == "json")
            return render_json(m);
        if (f == "junit")
            return render_junit(m);
        if (f == "markdown")
            return render_markdown(m);
        return render_text(m, colour);
    };
    // A report that cannot be written fails the command: a CI job must not pass without its
    // JUnit file.
    bool reports_written = true;
    const auto write_report = [&](const std::string& file, const std::string& text,
                                  const std::string& what) {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) {
            std::cerr << "lockstep conform: cannot write the " << what << " report to " << file
                      << " (" << std::strerror(errno) << "); check that its folder exists and "
                      << "is writable.\n";
            reports_written = false;
            return;
        }
        std::cerr << "lockstep conform: " << what << " report written to " << file << "\n";
    };
    for (const auto& [f, file] : extra_reports)
        write_report(file, render(f, false), f);
    const auto report = render(format, output.empty() && use_colour(options.colour, STDOUT_FILENO));
    if (output.empty())
        std::cout << report;
    else
        write_report(output, report, format);
    bool keep = false;
    for (const auto& e : m.engines)
        if (e.ran && (e.failed > 0 || e.exit_code != 0)) {
            keep = true;
            std::cerr << "details of " << e.target << "'s failures: " << e.log.string() << "\n";
        }
    if (!keep)
        std::filesystem::remove_all(work_dir);
    // Text output ends with the summary lines already; other formats get them on stderr.
    if (format != "text")
        for (const auto& e : m.engines)
            std::cerr << (e.ran ? e.target + ": " + std::to_string(e.passed) + " passed, " +
                                      std::to_string(e.failed) + " failed, " +
                                      std::to_string(e.skipped) + " skipped"
                                : e.target + ": could not run")
                      << "\n";
    // A failed promise outranks a target that could not run: the failure is certain.
    if (!m.ok() && (!m.differences.empty() ||
                    std::any_of(m.engines.begin(), m.engines.end(),
                                [](const engine_run& e) { return e.ran && e.failed > 0; })))
        return exit_failed;
    if (!reports_written)
        return exit_cannot_run; // could not deliver what was asked for (docs/ci.md)
    for (const auto& e : m.engines)
        if (!e.ran || e.exit_code != 0)
            return e.ran ? exit_failed : exit_cannot_run;
    return exit_passed;
}

} // namespace lockstep::cli
