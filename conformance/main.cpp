// The conformance runner: Catch2 with --url, --results (JSON per case, with transcripts) and
// --progress, and a listener that counts skipped cases as skipped, never as passed.
// SPDX-License-Identifier: MIT
#include "catch_session.hpp"
#include "harness.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <lockstep/builtin.hpp>
#include <nlohmann/json.hpp>

namespace {

struct run_record {
    nlohmann::json cases = nlohmann::json::array();
    int passed = 0, failed = 0, skipped = 0;
    bool progress = false;
    std::string results_path;
    std::string target;
};

run_record& record() {
    static run_record r;
    return r;
}

class results_listener : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        conformance::reset_case_state();
        if (record().progress)
            std::cout << "case " << info.name << std::endl;
    }

    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        auto& r = record();
        nlohmann::json c;
        c["name"] = stats.testInfo.name;
        c["tags"] = stats.testInfo.tags;
        std::string status = "passed";
        std::string reason;
        if (const auto skip = conformance::skip_reason()) {
            status = "skipped";
            reason = *skip;
        } else if (stats.totals.assertions.failed > 0 || stats.totals.testCases.failed > 0) {
            status = "failed";
        } else if (stats.totals.assertions.total() == 0) {
            status = "failed"; // a case that checked nothing proves nothing
            reason = "no assertion ran";
        }
        c["status"] = status;
        if (!reason.empty())
            c["reason"] = reason;
        c["transcript"] = conformance::current_transcript().events();
        (status == "passed" ? r.passed : status == "failed" ? r.failed : r.skipped)++;
        if (r.progress)
            std::cout << "result " << status << (reason.empty() ? "" : " (" + reason + ")")
                      << std::endl;
        r.cases.push_back(std::move(c));
    }
};

} // namespace

CATCH_REGISTER_LISTENER(results_listener)

int main(int argc, char* argv[]) {
    lockstep::test_runner::session session;
    std::string url, url_env;
    bool list_cases = false;
    auto& r = record();
    session.add_option(url, "url", "--url",
                       "database URL (default LOCKSTEP_TEST_URL, else sqlite::memory:)");
    session.add_option(url_env, "variable", "--url-env",
                       "read the URL from this environment variable; exit 77 if unset");
    session.add_option(r.results_path, "file", "--results", "write per-case results as JSON");
    session.add_flag(r.progress, "--progress", "print one line per case on stdout");
    session.add_flag(list_cases, "--list-cases",
                     "print the matching cases as JSON ([{name, tags}]) and exit");
    if (const int rc = session.parse(argc, argv); rc != 0)
        return rc;
    if (list_cases) {
        // Catch2's own listings wrap long names; tools read this instead.
        nlohmann::json cases = nlohmann::json::array();
        for (const auto& c : session.selected_cases())
            cases.push_back({{"name", c.name}, {"tags", c.tags}});
        std::cout << cases.dump() << std::endl;
        return 0;
    }
    if (session.only_lists())
        return session.run();

    if (url.empty() && !url_env.empty()) {
        const char* value = std::getenv(url_env.c_str());
        if (value == nullptr || *value == '\0') {
            std::cout << "conformance: " << url_env << " is not set; skipping this engine "
                      << "(run ci/services up)." << std::endl;
            return 77;
        }
        url = value;
    }
    if (url.empty()) {
        const char* value = std::getenv("LOCKSTEP_TEST_URL");
        url = value != nullptr && *value != '\0' ? value : "sqlite::memory:";
    }

#if !defined(LOCKSTEP_DRIVERS_FROM_PLUGINS) // a shared build loads each engine's plugin on demand
    lockstep::register_builtin_drivers();
#endif
    nlohmann::json engine;
    try {
        auto probe = lockstep::connection::open(url);
        r.target = std::string(probe.target_name());
        engine["target"] = r.target;
        engine["engine"] = std::string(probe.engine_name());
        engine["server_version"] = probe.server_version();
        engine["url"] = lockstep::parse_connection_url(url).redacted();
    } catch (const lockstep::error& e) {
        std::cerr << "conformance: cannot use " << lockstep::redact_url_text(url) << ": "
                  << e.what() << std::endl;
        return 2;
    }
    conformance::set_database_url(url);

    const int catch_result = session.run();
    std::cout << "conformance " << r.target << ": " << r.passed << " passed, " << r.failed
              << " failed, " << r.skipped << " skipped" << std::endl;
    if (!r.results_path.empty()) {
        std::ofstream out(r.results_path);
        out << nlohmann::json{{"engine", engine}, {"cases", r.cases}}.dump(2) << '\n';
    }
    return catch_result != 0 || r.failed > 0 ? 1 : 0;
}
