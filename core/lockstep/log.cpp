// The process-wide log sink, guarded by a mutex.
// SPDX-License-Identifier: MIT
#include "lockstep/log.hpp"

#include <iostream>
#include <mutex>

namespace lockstep {
namespace {

std::mutex sink_mutex;
log_sink current_sink;

} // namespace

void set_log_sink(log_sink sink) {
    const std::lock_guard lock(sink_mutex);
    current_sink = std::move(sink);
}

void log(log_level level, std::string_view message) noexcept {
    try {
        const std::lock_guard lock(sink_mutex);
        if (current_sink) {
            current_sink(level, message);
            return;
        }
        std::cerr << "lockstep " << (level == log_level::error ? "error" : "warning") << ": "
                  << message << '\n';
    } catch (...) {
        // A sink that throws must not turn a log line into a crash.
    }
}

} // namespace lockstep
