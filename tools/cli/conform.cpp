// `lockstep conform`: runs the conformance executable once per URL (the URL travels in the
// environment, never on a command line where `ps` would show its password), shows progress,
// and prints cases down and engines across, then one summary line per engine.
#include "commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <lockstep/lockstep.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace lockstep::cli {
namespace {

struct engine_run {
    std::string url;         // never printed: it may hold a password
    std::string display_url; // redacted
    std::string target;
    nlohmann::json results;
    int passed = 0, failed = 0, skipped = 0;
    int exit_code = 0;
    std::filesystem::path log;
};

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

int count_cases(const std::string& binary) {
    FILE* pipe = ::popen((shell_quote(binary) + " --list-test-names-only").c_str(), "r");
    if (pipe == nullptr)
        return 0;
    int count = 0;
    char line[4096];
    while (std::fgets(line, sizeof line, pipe) != nullptr)
        if (line[0] != '\n' && line[0] != '\0')
            ++count;
    ::pclose(pipe);
    return count;
}

void show_progress(const std::string& name, int done, int total, bool terminal) {
    if (terminal) {
        constexpr int width = 30;
        const int filled = total > 0 ? done * width / total : 0;
        std::cerr << "\r  " << name << " [" << std::string(static_cast<std::size_t>(filled), '#')
                  << std::string(static_cast<std::size_t>(width - filled), '.') << "] " << done
                  << "/" << total << std::flush;
    } else if (done % 25 == 0 || done == total) {
        std::cerr << "  " << name << ": " << done << "/" << total << " cases\n";
    }
}

engine_run run_engine(const std::string& binary, const std::string& url, int total,
                      const std::filesystem::path& work_dir, std::size_t index) {
    engine_run run;
    run.url = url;
    run.display_url = redact_url_text(url);
    try {
        run.display_url = parse_connection_url(url).redacted();
    } catch (const error&) {
        // the conformance binary reports the malformed URL itself
    }
    const auto results_path = work_dir / ("engine" + std::to_string(index) + ".json");
    run.log = work_dir / ("engine" + std::to_string(index) + ".log");
    ::setenv("LOCKSTEP_TEST_URL", url.c_str(), 1);
    const std::string command = shell_quote(binary) + " --progress --results " +
                                shell_quote(results_path.string()) + " -o " +
                                shell_quote(run.log.string());
    const bool terminal = ::isatty(STDERR_FILENO) != 0;
    std::cerr << "Running the conformance suite on " << run.display_url << "\n";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr)
        throw std::runtime_error("could not start " + binary);
    int done = 0;
    char line[8192];
    while (std::fgets(line, sizeof line, pipe) != nullptr)
        if (std::string_view(line).starts_with("result "))
            show_progress(run.display_url, ++done, total, terminal);
    const int status = ::pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (terminal)
        std::cerr << "\n";
    ::unsetenv("LOCKSTEP_TEST_URL");
    std::ifstream in(results_path);
    if (!in) {
        run.target = run.display_url;
        return run; // the binary could not connect; it said why on stderr
    }
    run.results = nlohmann::json::parse(in);
    run.target = run.results["engine"]["target"].get<std::string>();
    for (const auto& c : run.results["cases"]) {
        const auto status_text = c["status"].get<std::string>();
        (status_text == "passed"   ? run.passed
         : status_text == "failed" ? run.failed
                                   : run.skipped)++;
    }
    return run;
}

std::string fit(const std::string& text, std::size_t width) {
    if (text.size() <= width)
        return text + std::string(width - text.size(), ' ');
    return text.substr(0, width - 3) + "...";
}

/// Cases that passed on several engines with different transcripts: a promise kept differently
/// is a promise broken. Prints each difference; returns how many cases differ.
int check_transcripts(const std::vector<engine_run>& runs) {
    std::map<std::string, std::vector<std::pair<std::string, nlohmann::json>>> passed;
    std::vector<std::string> order;
    for (const auto& r : runs) {
        if (r.results.is_null())
            continue;
        for (const auto& c : r.results["cases"]) {
            if (c["status"] != "passed")
                continue;
            const auto name = c["name"].get<std::string>();
            auto& entries = passed[name];
            if (entries.empty())
                order.push_back(name);
            entries.emplace_back(r.target, c["transcript"]);
        }
    }
    int differing = 0;
    for (const auto& name : order) {
        const auto& entries = passed[name];
        bool same = true;
        for (const auto& e : entries)
            same = same && e.second == entries.front().second;
        if (same)
            continue;
        if (differing++ == 0)
            std::cout << "transcript differences (the same case observed differently):\n";
        std::cout << "  " << name << "\n";
        for (const auto& [target, transcript] : entries) {
            std::cout << "    " << target << ":";
            for (const auto& event : transcript)
                std::cout << " [" << event.get<std::string>() << "]";
            std::cout << "\n";
        }
    }
    if (differing > 0)
        std::cout << "\n";
    return differing;
}

void print_table(const std::vector<engine_run>& runs) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::string>> cells;
    std::map<std::string, std::string> reasons;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].results.is_null())
            continue;
        for (const auto& c : runs[i].results["cases"]) {
            const auto name = c["name"].get<std::string>();
            auto& row = cells[name];
            if (row.empty()) {
                order.push_back(name);
                row.assign(runs.size(), "-");
            }
            const auto status = c["status"].get<std::string>();
            row[i] = status == "passed" ? "pass" : status == "failed" ? "FAIL" : "skip";
            if (c.contains("reason"))
                reasons[name + " (" + runs[i].target + ")"] = c["reason"].get<std::string>();
        }
    }
    constexpr std::size_t name_width = 78;
    std::cout << "\n" << fit("case", name_width);
    for (const auto& r : runs)
        std::cout << "  " << fit(r.target, 10);
    std::cout << "\n" << std::string(name_width + 12 * runs.size(), '-') << "\n";
    for (const auto& name : order) {
        std::cout << fit(name, name_width);
        for (const auto& cell : cells[name])
            std::cout << "  " << fit(cell, 10);
        std::cout << "\n";
    }
    if (!reasons.empty()) {
        std::cout << "\nskipped or failed, with reasons:\n";
        for (const auto& [name, reason] : reasons)
            std::cout << "  " << name << ": " << reason << "\n";
    }
    std::cout << "\n";
}

} // namespace

int conform(const std::vector<std::string>& args) {
    std::vector<std::string> urls;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--url" && i + 1 < args.size()) {
            urls.push_back(args[++i]);
        } else if (args[i].starts_with("--url=")) {
            urls.push_back(args[i].substr(6));
        } else {
            std::cerr << "usage: lockstep conform [--url URL]...\n";
            return 2;
        }
    }
    if (urls.empty())
        urls.push_back("sqlite::memory:");
    const std::string binary = LOCKSTEP_CONFORMANCE_BINARY;
    const int total = count_cases(binary);
    const auto work_dir =
        std::filesystem::temp_directory_path() / ("lockstep-conform-" + std::to_string(::getpid()));
    std::filesystem::create_directories(work_dir);

    std::vector<engine_run> runs;
    for (std::size_t i = 0; i < urls.size(); ++i)
        runs.push_back(run_engine(binary, urls[i], total, work_dir, i));
    print_table(runs);
    const int differing = check_transcripts(runs);

    bool all_good = differing == 0;
    bool keep_logs = false;
    for (const auto& r : runs) {
        if (r.results.is_null()) {
            std::cout << r.target << ": could not run (exit " << r.exit_code
                      << "); see the message above\n";
            all_good = false;
            continue;
        }
        if (r.failed > 0 || r.exit_code != 0) {
            all_good = false;
            keep_logs = true;
            std::cerr << "details of " << r.target << "'s failures: " << r.log.string() << "\n";
        }
    }
    if (differing > 0)
        std::cout << "transcripts: " << differing << " cases differ between engines\n";
    else if (runs.size() > 1)
        std::cout << "transcripts: identical on every engine for every case that passed\n";
    for (const auto& r : runs)
        if (!r.results.is_null())
            std::cout << r.target << ": " << r.passed << " passed, " << r.failed << " failed, "
                      << r.skipped << " skipped\n";
    if (!keep_logs)
        std::filesystem::remove_all(work_dir);
    return all_good ? 0 : 1;
}

} // namespace lockstep::cli
