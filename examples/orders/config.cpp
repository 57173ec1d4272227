// Reads the order service's configuration.
// SPDX-License-Identifier: MIT
#include "config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace orders {
namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t");
    const auto last = s.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
}

} // namespace

config load_config(const std::string& config_file) {
    config c;
    if (!config_file.empty()) {
        std::ifstream in(config_file);
        if (!in)
            throw std::runtime_error("cannot read the config file " + config_file);
        for (std::string line; std::getline(in, line);) {
            const auto eq = line.find('=');
            if (line.empty() || line[0] == '#' || eq == std::string::npos)
                continue;
            const auto key = trim(line.substr(0, eq));
            const auto value = trim(line.substr(eq + 1));
            if (key == "database_url")
                c.database_url = value;
            else if (key == "queue")
                c.queue_path = value;
        }
    }
    if (const char* url = std::getenv("ORDERS_DATABASE_URL"); url != nullptr && *url != '\0')
        c.database_url = url;
    if (const char* queue = std::getenv("ORDERS_QUEUE"); queue != nullptr && *queue != '\0')
        c.queue_path = queue;
    const auto temp = std::filesystem::temp_directory_path();
    if (c.database_url.empty()) // begin=immediate: writers queue up instead of deadlocking
        c.database_url = "sqlite://" + (temp / "lockstep-orders.db").string() + "?begin=immediate";
    if (c.queue_path.empty())
        c.queue_path = (temp / "lockstep-orders.queue").string();
    return c;
}

} // namespace orders
