// `lockstep probe URL`: what an engine is and what it can and cannot do.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <iomanip>
#include <iostream>
#include <lockstep/lockstep.hpp>

namespace lockstep::cli {

int probe(const std::vector<std::string>& args) {
    if (args.size() != 1) {
        std::cerr << "usage: lockstep probe URL\n";
        return 2;
    }
    const auto url = parse_connection_url(args[0]);
    auto db = connection::open(args[0]);
    std::cout << "url:               " << url.redacted() << "\n"
              << "target:            " << db.target_name() << "\n"
              << "engine:            " << db.engine_name() << "\n"
              << "driver:            "
              << (url.is_soci() ? "soci (SOCI 4.0, " + url.engine() + " backend)"
                                : url.engine() + " (native)")
              << "\n"
              << "server version:    " << db.server_version() << "\n"
              << "lockstep version:  " << lockstep::version() << "\n"
              << "default isolation: " << db.default_isolation() << "\n\ncapabilities:\n";
    for (const auto& f : describe(db.features()))
        std::cout << "  " << std::left << std::setw(30) << f.name << std::setw(5)
                  << (f.answer ? "yes" : "no") << f.question << "\n";
    return 0;
}

} // namespace lockstep::cli
