// Unit tests of the conformance reports: each format parses back and says what the matrix says.
// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <catch2/catch.hpp>
#include <lockstep/version.hpp>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

using namespace lockstep::cli;

namespace {

/// Two targets: one case passes on both with different transcripts, one is skipped on one and
/// fails on the other, and a third target could not run.
matrix sample() {
    matrix m;
    m.cases = {{"A case that passes <everywhere> & differs", {"hooks"}},
               {"A case that needs \"savepoints\"", {"savepoints"}}};
    engine_run a{.target = "sqlite", .display_url = "sqlite::memory:", .ran = true};
    a.cases["A case that passes <everywhere> & differs"] = {"passed", "", {"hook 1"}};
    a.cases["A case that needs \"savepoints\""] = {"skipped", "the engine has no savepoints", {}};
    a.passed = 1;
    a.skipped = 1;
    engine_run b{.target = "postgresql", .display_url = "postgresql://u:***@h/d", .ran = true};
    b.cases["A case that passes <everywhere> & differs"] = {"passed", "", {"hook 2"}};
    b.cases["A case that needs \"savepoints\""] = {"failed", "", {"raised usage_error"}};
    b.passed = 1;
    b.failed = 1;
    engine_run c{.target = "mysql://u:***@h/d", .ran = false, .error = "connection refused"};
    m.engines = {a, b, c};
    find_differences(m);
    return m;
}

} // namespace

TEST_CASE("A case that passes with different transcripts is reported as a difference",
          "[reports]") {
    const auto m = sample();
    REQUIRE(m.differences.size() == 1);
    CHECK(m.differences[0].case_name == "A case that passes <everywhere> & differs");
    CHECK_FALSE(m.ok());
}

TEST_CASE("The JSON report parses and carries statuses, reasons, transcripts and differences",
          "[reports]") {
    const auto doc = nlohmann::json::parse(render_json(sample()));
    CHECK(doc["schema"] == "lockstep-conform/1");
    CHECK(doc["lockstep_version"] == LOCKSTEP_VERSION_STRING);
    CHECK(doc["ok"] == false);
    REQUIRE(doc["engines"].size() == 3);
    CHECK(doc["engines"][1]["failed"] == 1);
    CHECK(doc["engines"][2]["ran"] == false);
    CHECK(doc["engines"][2]["error"] == "connection refused");
    const auto& second = doc["cases"][1];
    CHECK(second["results"]["sqlite"]["status"] == "skipped");
    CHECK(second["results"]["sqlite"]["reason"] == "the engine has no savepoints");
    CHECK(second["results"]["postgresql"]["status"] == "failed");
    CHECK(doc["cases"][0]["transcripts_identical"] == false);
    CHECK(doc["differences"][0]["transcripts"]["postgresql"][0] == "hook 2");
}

TEST_CASE("The JUnit report is well-formed XML whose counts match the matrix", "[reports]") {
    const auto xml = render_junit(sample());
    pugi::xml_document doc;
    REQUIRE(doc.load_string(xml.c_str()));
    const auto root = doc.child("testsuites");
    REQUIRE(root);
    // 2 sqlite + 2 postgresql + 1 "the suite runs" for mysql + 2 transcript checks.
    CHECK(root.attribute("tests").as_int() == 7);
    CHECK(root.attribute("failures").as_int() == 3);
    CHECK(root.attribute("skipped").as_int() == 1);
    const auto sqlite = root.find_child_by_attribute("testsuite", "name", "sqlite");
    REQUIRE(sqlite);
    CHECK(std::string(sqlite.child("properties")
                          .find_child_by_attribute("property", "name", "lockstep_version")
                          .attribute("value")
                          .value()) == LOCKSTEP_VERSION_STRING);
    const auto skipped =
        sqlite.find_child_by_attribute("testcase", "name", "A case that needs \"savepoints\"");
    CHECK(std::string(skipped.child("skipped").attribute("message").value()) ==
          "the engine has no savepoints");
    const auto identity = root.find_child_by_attribute("testsuite", "name", "transcript identity");
    CHECK(identity.attribute("failures").as_int() == 1);
}

TEST_CASE("The Markdown report has a row per case and a summary line per target", "[reports]") {
    const auto md = render_markdown(sample());
    CHECK_THAT(md, Catch::Contains("| case | sqlite | postgresql |"));
    CHECK_THAT(md, Catch::Contains("**sqlite: 1 passed, 0 failed, 1 skipped**"));
    CHECK_THAT(md, Catch::Contains("**FAIL**"));
    CHECK_THAT(md, Catch::Contains("transcript differs"));
}

TEST_CASE("The text report ends with one summary line per target", "[reports]") {
    const auto text = render_text(sample(), false);
    CHECK_THAT(text, Catch::EndsWith("sqlite: 1 passed, 0 failed, 1 skipped\n"
                                     "postgresql: 1 passed, 1 failed, 0 skipped\n"
                                     "mysql://u:***@h/d: could not run: connection refused\n"));
    CHECK(text.find("\033[") == std::string::npos); // no colour unless asked
}
