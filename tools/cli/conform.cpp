// `lockstep conform`: the conformance suite on one or more targets, as one matrix with the
// transcript identity check, rendered as text, JSON, JUnit XML or Markdown.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "matrix.hpp"
#include "report.hpp"

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

constexpr const char* usage =
    "usage: lockstep conform [--url URL]... [--all] [--filter SPEC] [--list]\n"
    "                        [--format text|json|junit|markdown] [--output FILE]\n"
    "  --url URL      a target (repeat for several); default: embedded SQLite\n"
    "  --all          embedded SQLite and SOCI's SQLite, plus every server URL that\n"
    "                 ci/services wrote (.lockstep/services/env) or the environment holds\n"
    "  --filter SPEC  only cases matching a name (wildcards *) or a tag ([hooks])\n"
    "  --list         list the cases (with --filter, the matching ones) and exit\n"
    "  --format F     text (default), json, junit or markdown\n"
    "  --output FILE  write the report there instead of stdout\n"
    "  --report F=FILE  also write the report in format F to FILE (repeatable)\n";

// The server targets `--all` runs, in matrix order, by the variables ci/services writes.
constexpr const char* server_variables[] = {"LOCKSTEP_POSTGRESQL_URL", "LOCKSTEP_MYSQL_URL",
                                            "LOCKSTEP_SOCI_POSTGRESQL_URL",
                                            "LOCKSTEP_SOCI_MYSQL_URL"};

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
    candidates.emplace_back(std::filesystem::path(LOCKSTEP_SOURCE_DIR) / ".lockstep/services/env");
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

int conform(const std::vector<std::string>& args) {
    std::vector<std::string> urls;
    std::string format = "text", output, filter;
    std::vector<std::pair<std::string, std::string>> extra_reports;
    bool all = false, list = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        const bool has_value = i + 1 < args.size();
        if (a == "--url" && has_value)
            urls.push_back(args[++i]);
        else if (a.starts_with("--url="))
            urls.push_back(a.substr(6));
        else if (a == "--all")
            all = true;
        else if (a == "--list")
            list = true;
        else if (a == "--filter" && has_value)
            filter = args[++i];
        else if (a == "--format" && has_value)
            format = args[++i];
        else if (a == "--output" && has_value)
            output = args[++i];
        else if (a == "--report" && has_value && args[i + 1].find('=') != std::string::npos) {
            const auto& spec = args[++i];
            extra_reports.emplace_back(spec.substr(0, spec.find('=')),
                                       spec.substr(spec.find('=') + 1));
        } else {
            std::cerr << usage;
            return 2;
        }
    }
    const auto known = [](const std::string& f) {
        return f == "text" || f == "json" || f == "junit" || f == "markdown";
    };
    for (const auto& f : {format}) {
        if (!known(f)) {
            std::cerr << "lockstep conform: unknown format \"" << f
                      << "\"; use text, json, junit or markdown\n";
            return 2;
        }
    }
    for (const auto& [f, file] : extra_reports)
        if (!known(f)) {
            std::cerr << "lockstep conform: unknown format \"" << f
                      << "\" in --report; use text, json, junit or markdown\n";
            return 2;
        }
    const std::string binary = LOCKSTEP_CONFORMANCE_BINARY;
    if (list) {
        for (const auto& [name, tags] : list_cases(binary, filter)) {
            std::cout << name;
            for (const auto& tag : tags)
                std::cout << " [" << tag << "]";
            std::cout << "\n";
        }
        return 0;
    }

    const auto work_dir =
        std::filesystem::temp_directory_path() / ("lockstep-conform-" + std::to_string(::getpid()));
    std::filesystem::create_directories(work_dir);
    if (all) {
        const auto more = all_urls(work_dir);
        urls.insert(urls.end(), more.begin(), more.end());
    }
    if (urls.empty())
        urls.push_back("sqlite::memory:");

    const auto m = run_matrix(binary, urls, filter, work_dir);
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
    const auto report = render(format, output.empty() && ::isatty(STDOUT_FILENO) != 0);
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
    if (!reports_written)
        return 3; // could not deliver what was asked for (exit codes: docs/ci.md)
    return m.ok() ? 0 : 1;
}

} // namespace lockstep::cli
