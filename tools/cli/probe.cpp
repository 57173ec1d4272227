// `lockstep probe URL`: what an engine is and what it can and cannot do, as text or JSON.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <iomanip>
#include <iostream>
#include <lockstep/lockstep.hpp>
#include <nlohmann/json.hpp>

namespace lockstep::cli {

int probe(const std::string& url_text, const std::string& format) {
    const auto url = parse_connection_url(url_text);
    auto db = connection::open(url_text);
    const auto driver = url.is_soci() ? "soci (SOCI 4.0, " + url.engine() + " backend)"
                                      : url.engine() + " (native)";
    const auto capabilities = describe(db.features());
    if (format == "json") {
        nlohmann::ordered_json out;
        out["url"] = url.redacted();
        out["target"] = db.target_name();
        out["engine"] = db.engine_name();
        out["driver"] = driver;
        out["server_version"] = db.server_version();
        out["lockstep_version"] = lockstep::version();
        out["default_isolation"] = db.default_isolation();
        auto& features = out["capabilities"] = nlohmann::ordered_json::object();
        for (const auto& f : capabilities)
            features[f.name] = f.answer;
        std::cout << out.dump(2) << "\n";
        return exit_passed;
    }
    std::cout << "url:               " << url.redacted() << "\n"
              << "target:            " << db.target_name() << "\n"
              << "engine:            " << db.engine_name() << "\n"
              << "driver:            " << driver << "\n"
              << "server version:    " << db.server_version() << "\n"
              << "lockstep version:  " << lockstep::version() << "\n"
              << "default isolation: " << db.default_isolation() << "\n\ncapabilities:\n";
    for (const auto& f : capabilities)
        std::cout << "  " << std::left << std::setw(30) << f.name << std::setw(5)
                  << (f.answer ? "yes" : "no") << f.question << "\n";
    return exit_passed;
}

} // namespace lockstep::cli
