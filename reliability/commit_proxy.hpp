// A loopback TCP proxy the fault tests control: it relays a client's connection to a server and,
// when told, drops the connection just before or just after forwarding a COMMIT, so a test can
// lose a connection at the one moment where the outcome is unknown (semantics 2.4).
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace reliability {

class commit_proxy {
public:
    enum class mode {
        relay,              ///< forward everything
        drop_before_commit, ///< the next COMMIT never reaches the server
        drop_after_commit,  ///< the next COMMIT reaches the server; its answer never comes back
    };

    /// Listens on 127.0.0.1 on a free port and relays to 127.0.0.1:`server_port`.
    explicit commit_proxy(std::uint16_t server_port);
    ~commit_proxy();
    commit_proxy(const commit_proxy&) = delete;
    commit_proxy& operator=(const commit_proxy&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// Arms a drop for the next COMMIT (after it, the proxy relays again).
    void set_mode(mode m) noexcept { mode_ = m; }
    /// How many connections it dropped.
    int drops() const noexcept { return drops_; }

private:
    void run();

    int listener_ = -1;
    std::uint16_t server_port_;
    std::uint16_t port_ = 0;
    std::atomic<mode> mode_{mode::relay};
    std::atomic<int> drops_{0};
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

} // namespace reliability
