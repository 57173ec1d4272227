// The four renderings of a conformance matrix.
// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <lockstep/version.hpp>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

namespace lockstep::cli {
namespace {

std::string cell(const engine_run& e, const std::string& name) {
    if (!e.ran)
        return "not run";
    const auto it = e.cases.find(name);
    if (it == e.cases.end())
        return "-";
    return it->second.status == "passed" ? "pass" : it->second.status == "failed" ? "FAIL" : "skip";
}

bool differs(const matrix& m, const std::string& name) {
    for (const auto& d : m.differences)
        if (d.case_name == name)
            return true;
    return false;
}

std::string fit(const std::string& text, std::size_t width) {
    if (text.size() <= width)
        return text + std::string(width - text.size(), ' ');
    return text.substr(0, width - 3) + "...";
}

std::string summary_line(const engine_run& e) {
    if (!e.ran)
        return e.target + ": could not run: " + e.error;
    return e.target + ": " + std::to_string(e.passed) + " passed, " + std::to_string(e.failed) +
           " failed, " + std::to_string(e.skipped) + " skipped";
}

/// XML 1.0 forbids most control characters even when escaped; pugixml escapes the rest.
std::string xml_text(const std::string& text) {
    std::string out;
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t' || c == '\r')
            out += c;
    return out;
}

std::string join(const std::vector<std::string>& events, const char* separator) {
    std::string out;
    for (const auto& e : events)
        out += (out.empty() ? "" : separator) + e;
    return out;
}

} // namespace

std::string render_text(const matrix& m, bool colour) {
    const auto paint = [&](const std::string& text, const char* code) {
        return colour ? std::string("\033[") + code + "m" + text + "\033[0m" : text;
    };
    constexpr std::size_t name_width = 78;
    std::ostringstream out;
    out << "\n" << fit("case", name_width);
    for (const auto& e : m.engines)
        out << "  " << fit(e.target, 15);
    out << "\n" << std::string(name_width + 17 * m.engines.size(), '-') << "\n";
    for (const auto& [name, tags] : m.cases) {
        out << fit(name, name_width);
        for (const auto& e : m.engines) {
            const auto c = cell(e, name);
            const auto text = fit(differs(m, name) && c == "pass" ? "pass DIFF" : c, 15);
            out << "  "
                << (c == "FAIL" || (c == "pass" && differs(m, name)) ? paint(text, "31")
                    : c == "pass"                                    ? paint(text, "32")
                    : c == "skip"                                    ? paint(text, "33")
                                                                     : text);
        }
        out << "\n";
    }
    bool header = false;
    for (const auto& e : m.engines)
        for (const auto& [name, r] : e.cases)
            if (!r.reason.empty()) {
                if (!header)
                    out << "\nskipped or failed, with reasons:\n";
                header = true;
                out << "  " << name << " (" << e.target << "): " << r.reason << "\n";
            }
    if (!m.differences.empty()) {
        out << "\ntranscript differences (the same case observed differently):\n";
        for (const auto& d : m.differences) {
            out << "  " << d.case_name << "\n";
            for (const auto& [target, transcript] : d.transcripts)
                out << "    " << target << ": [" << join(transcript, "] [") << "]\n";
        }
    }
    out << "\n";
    if (m.engines.size() > 1)
        out << (m.differences.empty()
                    ? "transcripts: identical on every engine for every case that passed\n"
                    : "transcripts: " + std::to_string(m.differences.size()) +
                          " cases differ between engines\n");
    for (const auto& e : m.engines)
        out << summary_line(e) << "\n";
    return out.str();
}

std::string render_json(const matrix& m) {
    nlohmann::json engines = nlohmann::json::array();
    for (const auto& e : m.engines) {
        nlohmann::json engine{
            {"target", e.target},  {"url", e.display_url}, {"server_version", e.server_version},
            {"ran", e.ran},        {"passed", e.passed},   {"failed", e.failed},
            {"skipped", e.skipped}};
        if (!e.ran)
            engine["error"] = e.error;
        engines.push_back(std::move(engine));
    }
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& [name, tags] : m.cases) {
        nlohmann::json results = nlohmann::json::object();
        for (const auto& e : m.engines) {
            const auto it = e.cases.find(name);
            if (it == e.cases.end())
                continue;
            nlohmann::json r{{"status", it->second.status}, {"transcript", it->second.transcript}};
            if (!it->second.reason.empty())
                r["reason"] = it->second.reason;
            results[e.target] = std::move(r);
        }
        cases.push_back({{"name", name},
                         {"tags", tags},
                         {"transcripts_identical", !differs(m, name)},
                         {"results", std::move(results)}});
    }
    nlohmann::json differences = nlohmann::json::array();
    for (const auto& d : m.differences) {
        nlohmann::json transcripts = nlohmann::json::object();
        for (const auto& [target, transcript] : d.transcripts)
            transcripts[target] = transcript;
        differences.push_back({{"case", d.case_name}, {"transcripts", std::move(transcripts)}});
    }
    return nlohmann::json{{"schema", "lockstep-conform/1"},
                          {"lockstep_version", lockstep::version()},
                          {"ok", m.ok()},
                          {"engines", std::move(engines)},
                          {"cases", std::move(cases)},
                          {"differences", std::move(differences)}}
               .dump(2) +
           "\n";
}

std::string render_junit(const matrix& m) {
    pugi::xml_document doc;
    auto declaration = doc.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "UTF-8";
    auto root = doc.append_child("testsuites");
    root.append_attribute("name") = "lockstep conform";
    int tests = 0, failures = 0, skipped = 0;
    const auto add_case = [](pugi::xml_node suite, const std::string& classname,
                             const std::string& name) {
        auto c = suite.append_child("testcase");
        c.append_attribute("classname") = xml_text(classname).c_str();
        c.append_attribute("name") = xml_text(name).c_str();
        return c;
    };
    const auto count = [](pugi::xml_node suite, int n, int failed, int skip) {
        suite.append_attribute("tests") = n;
        suite.append_attribute("failures") = failed;
        suite.append_attribute("skipped") = skip;
        suite.append_attribute("errors") = 0;
    };
    for (const auto& e : m.engines) {
        int suite_tests = 0, suite_failures = 0, suite_skipped = 0;
        auto suite = root.append_child("testsuite");
        suite.append_attribute("name") = xml_text(e.target).c_str();
        auto property = suite.append_child("properties").append_child("property");
        property.append_attribute("name") = "lockstep_version";
        property.append_attribute("value") = lockstep::version();
        const auto classname = "conformance." + e.target;
        if (!e.ran) {
            ++suite_tests;
            ++suite_failures;
            add_case(suite, classname, "the suite runs")
                .append_child("failure")
                .append_attribute("message") = xml_text(e.error).c_str();
        }
        for (const auto& [name, tags] : m.cases) {
            const auto it = e.cases.find(name);
            if (it == e.cases.end())
                continue;
            ++suite_tests;
            auto c = add_case(suite, classname, name);
            if (it->second.status == "passed")
                continue;
            if (it->second.status == "skipped") {
                ++suite_skipped;
                c.append_child("skipped").append_attribute("message") =
                    xml_text(it->second.reason).c_str();
            } else {
                ++suite_failures;
                c.append_child("failure").append_attribute("message") =
                    xml_text(it->second.reason.empty() ? "the case failed; see the log"
                                                       : it->second.reason)
                        .c_str();
            }
            c.append_child("system-out").text() =
                xml_text(join(it->second.transcript, "\n")).c_str();
        }
        count(suite, suite_tests, suite_failures, suite_skipped);
        tests += suite_tests;
        failures += suite_failures;
        skipped += suite_skipped;
    }
    if (m.engines.size() > 1) {
        auto suite = root.append_child("testsuite");
        suite.append_attribute("name") = "transcript identity";
        int compared = 0;
        for (const auto& [name, tags] : m.cases) {
            ++compared;
            auto c = add_case(suite, "conformance.transcripts", name);
            for (const auto& d : m.differences)
                if (d.case_name == name) {
                    std::string detail;
                    for (const auto& [target, transcript] : d.transcripts)
                        detail += target + ": [" + join(transcript, "] [") + "]\n";
                    auto failure = c.append_child("failure");
                    failure.append_attribute("message") = "the transcripts differ between engines";
                    failure.text() = xml_text(detail).c_str();
                }
        }
        const auto differing = static_cast<int>(m.differences.size());
        count(suite, compared, differing, 0);
        tests += compared;
        failures += differing;
    }
    root.append_attribute("tests") = tests;
    root.append_attribute("failures") = failures;
    root.append_attribute("skipped") = skipped;
    root.append_attribute("errors") = 0;
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return out.str();
}

std::string render_markdown(const matrix& m) {
    const auto md = [](std::string text) {
        for (std::size_t pos = 0; (pos = text.find('|', pos)) != std::string::npos; pos += 2)
            text.replace(pos, 1, "\\|");
        return text;
    };
    std::ostringstream out;
    out << "## Lockstep " << lockstep::version() << " conformance\n\n";
    for (const auto& e : m.engines)
        out << "- **" << md(summary_line(e)) << "**\n";
    out << "- transcripts: "
        << (m.differences.empty() ? std::string("identical on every engine")
                                  : std::to_string(m.differences.size()) + " cases differ")
        << "\n\n| case |";
    for (const auto& e : m.engines)
        out << " " << md(e.target) << " |";
    out << "\n|---|";
    for (std::size_t i = 0; i < m.engines.size(); ++i)
        out << "---|";
    out << "\n";
    for (const auto& [name, tags] : m.cases) {
        out << "| " << md(name) << " |";
        for (const auto& e : m.engines) {
            auto c = cell(e, name);
            if (c == "FAIL")
                c = "**FAIL**";
            if (c == "pass" && differs(m, name))
                c = "**pass, transcript differs**";
            out << " " << c << " |";
        }
        out << "\n";
    }
    return out.str();
}

} // namespace lockstep::cli
