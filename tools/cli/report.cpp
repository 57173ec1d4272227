// The four renderings of a conformance matrix.
// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <nlohmann/json.hpp>
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

std::string xml_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            // XML 1.0 forbids most control characters even when escaped.
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t' || c == '\r')
                out += c;
        }
    }
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
                          {"ok", m.ok()},
                          {"engines", std::move(engines)},
                          {"cases", std::move(cases)},
                          {"differences", std::move(differences)}}
               .dump(2) +
           "\n";
}

std::string render_junit(const matrix& m) {
    int tests = 0, failures = 0, skipped = 0;
    std::ostringstream suites;
    for (const auto& e : m.engines) {
        int suite_tests = 0, suite_failures = 0, suite_skipped = 0;
        std::ostringstream cases;
        if (!e.ran) {
            ++suite_tests;
            ++suite_failures;
            cases << "    <testcase classname=\"conformance." << xml_escape(e.target)
                  << "\" name=\"the suite runs\">\n      <failure message=\"" << xml_escape(e.error)
                  << "\"/>\n    </testcase>\n";
        }
        for (const auto& [name, tags] : m.cases) {
            const auto it = e.cases.find(name);
            if (it == e.cases.end())
                continue;
            ++suite_tests;
            cases << "    <testcase classname=\"conformance." << xml_escape(e.target)
                  << "\" name=\"" << xml_escape(name) << "\"";
            if (it->second.status == "passed") {
                cases << "/>\n";
                continue;
            }
            cases << ">\n";
            if (it->second.status == "skipped") {
                ++suite_skipped;
                cases << "      <skipped message=\"" << xml_escape(it->second.reason) << "\"/>\n";
            } else {
                ++suite_failures;
                cases << "      <failure message=\""
                      << xml_escape(it->second.reason.empty() ? "the case failed; see the log"
                                                              : it->second.reason)
                      << "\"/>\n";
            }
            cases << "      <system-out>" << xml_escape(join(it->second.transcript, "\n"))
                  << "</system-out>\n    </testcase>\n";
        }
        suites << "  <testsuite name=\"" << xml_escape(e.target) << "\" tests=\"" << suite_tests
               << "\" failures=\"" << suite_failures << "\" skipped=\"" << suite_skipped
               << "\" errors=\"0\">\n"
               << cases.str() << "  </testsuite>\n";
        tests += suite_tests;
        failures += suite_failures;
        skipped += suite_skipped;
    }
    if (m.engines.size() > 1) {
        std::ostringstream cases;
        int compared = 0;
        for (const auto& [name, tags] : m.cases) {
            ++compared;
            cases << "    <testcase classname=\"conformance.transcripts\" name=\""
                  << xml_escape(name) << "\"";
            bool found = false;
            for (const auto& d : m.differences)
                if (d.case_name == name) {
                    found = true;
                    std::string detail;
                    for (const auto& [target, transcript] : d.transcripts)
                        detail += target + ": [" + join(transcript, "] [") + "]\n";
                    cases << ">\n      <failure message=\"the transcripts differ between "
                             "engines\">"
                          << xml_escape(detail) << "</failure>\n    </testcase>\n";
                }
            if (!found)
                cases << "/>\n";
        }
        const auto differing = static_cast<int>(m.differences.size());
        suites << "  <testsuite name=\"transcript identity\" tests=\"" << compared
               << "\" failures=\"" << differing << "\" skipped=\"0\" errors=\"0\">\n"
               << cases.str() << "  </testsuite>\n";
        tests += compared;
        failures += differing;
    }
    std::ostringstream out;
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"lockstep conform\" "
           "tests=\""
        << tests << "\" failures=\"" << failures << "\" skipped=\"" << skipped
        << "\" errors=\"0\">\n"
        << suites.str() << "</testsuites>\n";
    return out.str();
}

std::string render_markdown(const matrix& m) {
    const auto md = [](std::string text) {
        for (std::size_t pos = 0; (pos = text.find('|', pos)) != std::string::npos; pos += 2)
            text.replace(pos, 1, "\\|");
        return text;
    };
    std::ostringstream out;
    out << "## Lockstep conformance\n\n";
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
