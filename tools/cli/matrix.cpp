// Running the conformance executable per target and comparing transcripts.
// SPDX-License-Identifier: MIT
#include "matrix.hpp"

#include "spawn.hpp"

#include <atomic>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <lockstep/connection_url.hpp>
#include <lockstep/errors.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace lockstep::cli {
namespace {

// Targets run at once share stderr: one line at a time.
std::mutex stderr_mutex;

void show_progress(const std::string& name, int done, int total, bool terminal) {
    const std::lock_guard lock(stderr_mutex);
    if (terminal) {
        constexpr int width = 30;
        const int filled = total > 0 ? std::min(width, done * width / total) : 0;
        std::cerr << "\r  " << name << " [" << std::string(static_cast<std::size_t>(filled), '#')
                  << std::string(static_cast<std::size_t>(width - filled), '.') << "] " << done
                  << "/" << total << std::flush;
    } else if (done % 25 == 0 || done == total) {
        std::cerr << "  " << name << ": " << done << "/" << total << " cases\n";
    }
}

std::string redacted(const std::string& url) {
    try {
        return parse_connection_url(url).redacted();
    } catch (const error&) {
        return redact_url_text(url);
    }
}

/// Runs the suite on one target. `alone`: no other target runs meanwhile, so a terminal may show
/// a progress bar that redraws its line; otherwise progress goes as whole lines.
engine_run run_engine(const std::string& binary, const std::string& url, const std::string& filter,
                      int total, const std::filesystem::path& work_dir, std::size_t index,
                      bool alone) {
    engine_run run;
    run.display_url = redacted(url);
    run.target = run.display_url;
    const auto results_path = work_dir / ("engine" + std::to_string(index) + ".json");
    const auto error_path = work_dir / ("engine" + std::to_string(index) + ".err");
    run.log = work_dir / ("engine" + std::to_string(index) + ".log");
    const bool terminal = alone && ::isatty(STDERR_FILENO) != 0;
    {
        const std::lock_guard lock(stderr_mutex);
        std::cerr << "Running the conformance suite on " << run.display_url << "\n";
    }
    // No shell: the arguments go as they are, and the URL (which may hold a password) travels
    // in the child's environment, never on a command line.
    std::vector<std::string> argv{binary, "--progress",    "--results", results_path.string(),
                                  "-o",   run.log.string()};
    if (!filter.empty())
        argv.push_back(filter);
    int done = 0;
    run.exit_code = run_program(argv, {"LOCKSTEP_TEST_URL=" + url}, error_path.string(),
                                [&](std::string_view line) {
                                    if (line.starts_with("result "))
                                        show_progress(run.display_url, ++done, total, terminal);
                                });
    if (terminal && done > 0)
        std::cerr << "\n";
    std::ifstream in(results_path);
    if (!in) {
        std::ifstream err(error_path);
        std::string message((std::istreambuf_iterator<char>(err)), {});
        while (!message.empty() && message.back() == '\n')
            message.pop_back();
        run.error =
            message.empty() ? "the suite exited with " + std::to_string(run.exit_code) : message;
        const std::lock_guard lock(stderr_mutex);
        std::cerr << "  " << run.error << "\n";
        return run;
    }
    const auto results = nlohmann::json::parse(in);
    run.ran = true;
    run.target = results["engine"]["target"].get<std::string>();
    run.server_version = results["engine"].value("server_version", "");
    for (const auto& c : results["cases"]) {
        case_result r;
        r.status = c["status"].get<std::string>();
        r.reason = c.value("reason", "");
        r.transcript = c["transcript"].get<std::vector<std::string>>();
        (r.status == "passed" ? run.passed : r.status == "failed" ? run.failed : run.skipped)++;
        run.cases.emplace(c["name"].get<std::string>(), std::move(r));
    }
    return run;
}

} // namespace

bool matrix::ok() const {
    for (const auto& e : engines)
        if (!e.ran || e.failed > 0 || e.exit_code != 0)
            return false;
    return differences.empty();
}

std::vector<std::pair<std::string, std::vector<std::string>>>
list_cases(const std::string& binary, const std::string& filter) {
    std::vector<std::string> argv{binary, "--list-cases"};
    if (!filter.empty())
        argv.push_back(filter);
    std::vector<std::pair<std::string, std::vector<std::string>>> cases;
    std::string text;
    run_program(argv, {}, "", [&](std::string_view line) {
        text.append(line);
        text += '\n';
    });
    for (const auto& c : nlohmann::json::parse(text, nullptr, false))
        if (c.is_object())
            cases.emplace_back(c["name"].get<std::string>(),
                               c["tags"].get<std::vector<std::string>>());
    return cases;
}

void find_differences(matrix& m) {
    m.differences.clear();
    for (const auto& [name, tags] : m.cases) {
        transcript_difference d{name, {}};
        for (const auto& e : m.engines) {
            const auto it = e.cases.find(name);
            if (it != e.cases.end() && it->second.status == "passed")
                d.transcripts.emplace_back(e.target, it->second.transcript);
        }
        bool same = true;
        for (const auto& t : d.transcripts)
            same = same && t.second == d.transcripts.front().second;
        if (!same)
            m.differences.push_back(std::move(d));
    }
}

matrix run_matrix(const std::string& binary, const std::vector<std::string>& urls,
                  const std::string& filter, const std::filesystem::path& work_dir, int jobs) {
    matrix m;
    const auto listed = list_cases(binary, filter);
    const auto total = static_cast<int>(listed.size());
    const auto workers =
        std::min<std::size_t>(static_cast<std::size_t>(std::max(jobs, 1)), urls.size());
    m.engines.resize(urls.size());
    // Each worker takes the next target not yet taken and fills that target's slot, so the matrix
    // keeps the order of `urls`. Each target runs in its own process, with its own tables (the
    // suite prefixes them with its process id), as ctest -j runs them too.
    // A target that cannot be started (run_program throws) stops the others from starting, and
    // the first such error reaches the caller as it would with one worker.
    std::atomic<std::size_t> next{0};
    std::mutex failure_mutex;
    std::exception_ptr failure;
    const auto work = [&] {
        for (std::size_t i; (i = next++) < urls.size();) {
            try {
                m.engines[i] =
                    run_engine(binary, urls[i], filter, total, work_dir, i, workers <= 1);
            } catch (...) {
                const std::lock_guard lock(failure_mutex);
                if (!failure)
                    failure = std::current_exception();
                next = urls.size();
            }
        }
    };
    {
        std::vector<std::jthread> threads;
        for (std::size_t w = 1; w < workers; ++w)
            threads.emplace_back(work);
        work(); // this thread is a worker too
    }           // joins the others
    if (failure)
        std::rethrow_exception(failure);
    // The suite's own names are authoritative (the listing may wrap long ones): take the order
    // of the listing where names match, then any the runs report that it missed.
    for (const auto& [name, tags] : listed) {
        for (const auto& e : m.engines)
            if (e.cases.count(name)) {
                m.cases.emplace_back(name, tags);
                break;
            }
    }
    for (const auto& e : m.engines)
        for (const auto& [name, result] : e.cases) {
            bool known = false;
            for (const auto& c : m.cases)
                known = known || c.first == name;
            if (!known)
                m.cases.emplace_back(name, std::vector<std::string>{});
        }
    find_differences(m);
    return m;
}

} // namespace lockstep::cli
