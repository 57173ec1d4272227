// A file-backed notification queue: one line per notification, appended by on-commit hooks.
// SPDX-License-Identifier: MIT
#pragma once

#include <mutex>
#include <string>
#include <vector>

namespace orders {

/// Appends lines to a file, from any thread. A real service would hand them to a broker; the
/// point here is that only committed orders ever reach it (on-commit hooks).
class notification_queue {
public:
    explicit notification_queue(std::string path);
    /// Appends one line and flushes it to the file.
    void push(const std::string& line);
    /// Every line in the file.
    std::vector<std::string> read_all() const;

private:
    std::string path_;
    mutable std::mutex mutex_;
};

} // namespace orders
