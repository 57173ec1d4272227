// The commit proxy: one thread, poll() over the listener and every relayed pair of sockets.
// SPDX-License-Identifier: MIT
#include "commit_proxy.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace reliability {
namespace {

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const auto sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent <= 0)
            return false;
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

struct relayed {
    int client;
    int server;
    bool awaiting_commit_answer = false; // drop_after_commit: the COMMIT went through
};

} // namespace

commit_proxy::commit_proxy(std::uint16_t server_port) : server_port_(server_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0; // a free port, chosen by the kernel
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw std::runtime_error("commit_proxy: cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
}

commit_proxy::~commit_proxy() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
}

void commit_proxy::run() {
    std::vector<relayed> pairs;
    std::vector<char> buffer(64 * 1024);
    const auto drop = [&](std::size_t i) {
        ::close(pairs[i].client);
        ::close(pairs[i].server);
        pairs.erase(pairs.begin() + static_cast<std::ptrdiff_t>(i));
    };
    while (!stop_) {
        std::vector<pollfd> fds{{listener_, POLLIN, 0}};
        for (const auto& p : pairs) {
            fds.push_back({p.client, POLLIN, 0});
            fds.push_back({p.server, POLLIN, 0});
        }
        if (::poll(fds.data(), fds.size(), 50) <= 0)
            continue;
        const std::size_t polled = pairs.size(); // a pair accepted below is polled next round
        if (fds[0].revents & POLLIN) {
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client >= 0) {
                const int server = connect_to(server_port_);
                if (server < 0)
                    ::close(client);
                else
                    pairs.push_back({client, server});
            }
        }
        // Walk backwards: dropping a pair shifts the ones after it.
        for (std::size_t i = polled; i-- > 0;) {
            const auto& from_client = fds[1 + 2 * i];
            const auto& from_server = fds[2 + 2 * i];
            if (from_client.revents & (POLLIN | POLLHUP | POLLERR)) {
                const auto n = ::recv(pairs[i].client, buffer.data(), buffer.size(), 0);
                if (n <= 0) {
                    drop(i);
                    continue;
                }
                const std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
                const auto m = mode_.load();
                if (m != mode::relay && chunk.find("COMMIT") != std::string_view::npos) {
                    if (m == mode::drop_before_commit) {
                        mode_ = mode::relay;
                        ++drops_;
                        drop(i);
                        continue;
                    }
                    pairs[i].awaiting_commit_answer = true;
                    mode_ = mode::relay;
                }
                if (!send_all(pairs[i].server, buffer.data(), static_cast<std::size_t>(n))) {
                    drop(i);
                    continue;
                }
            }
            if (from_server.revents & (POLLIN | POLLHUP | POLLERR)) {
                if (pairs[i].awaiting_commit_answer) { // the server committed; nobody hears it
                    ++drops_;
                    drop(i);
                    continue;
                }
                const auto n = ::recv(pairs[i].server, buffer.data(), buffer.size(), 0);
                if (n <= 0 ||
                    !send_all(pairs[i].client, buffer.data(), static_cast<std::size_t>(n))) {
                    drop(i);
                    continue;
                }
            }
        }
    }
    for (std::size_t i = pairs.size(); i-- > 0;)
        drop(i);
}

} // namespace reliability
