// Catch2's implementation, compiled once per build (the slowest file of a build: about 40 s under
// ASan), and the session interface of catch_session.hpp over it.
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_RUNNER
#include "catch_session.hpp"

#include <catch2/catch.hpp>

namespace lockstep::test_runner {

struct session::state {
    Catch::Session catch_session;
};

session::session() : state_(std::make_unique<state>()) {}

session::~session() = default;

void session::add_option(std::string& value, const std::string& hint, const std::string& name,
                         const std::string& help) {
    auto& s = state_->catch_session;
    s.cli(s.cli() | Catch::clara::Opt(value, hint)[name](help));
}

void session::add_flag(bool& value, const std::string& name, const std::string& help) {
    auto& s = state_->catch_session;
    s.cli(s.cli() | Catch::clara::Opt(value)[name](help));
}

int session::parse(int argc, char* argv[]) {
    return state_->catch_session.applyCommandLine(argc, argv);
}

bool session::only_lists() const {
    const auto& data = state_->catch_session.configData();
    return data.listTests || data.listTestNamesOnly || data.listTags || data.listReporters ||
           data.showHelp;
}

std::vector<case_info> session::selected_cases() const {
    auto& s = state_->catch_session;
    const auto& config = s.config();
    std::vector<case_info> out;
    for (const auto& test :
         Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config))
        out.push_back({test.getTestCaseInfo().name, test.getTestCaseInfo().tags});
    return out;
}

int session::run() {
    return state_->catch_session.run();
}

} // namespace lockstep::test_runner
