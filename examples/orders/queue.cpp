// The file-backed notification queue.
// SPDX-License-Identifier: MIT
#include "queue.hpp"

#include <fstream>
#include <stdexcept>

namespace orders {

notification_queue::notification_queue(std::string path) : path_(std::move(path)) {
    std::ofstream truncate(path_, std::ios::trunc);
    if (!truncate)
        throw std::runtime_error("cannot write the notification queue " + path_);
}

void notification_queue::push(const std::string& line) {
    const std::lock_guard lock(mutex_);
    std::ofstream out(path_, std::ios::app);
    out << line << '\n' << std::flush;
    if (!out)
        throw std::runtime_error("cannot append to the notification queue " + path_);
}

std::vector<std::string> notification_queue::read_all() const {
    const std::lock_guard lock(mutex_);
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

} // namespace orders
