// posix_spawn with a pipe on stdout and a file on stderr: the matrix runs its targets this way.
// SPDX-License-Identifier: MIT
#include "spawn.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace lockstep::cli {
namespace {

std::string name_of(const std::string& entry) {
    return entry.substr(0, entry.find('='));
}

/// Closes the file descriptors and destroys the spawn structures whatever happens.
struct spawn_resources {
    int pipe_fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions{};
    bool actions_made = false;
    ~spawn_resources() {
        for (int fd : pipe_fds)
            if (fd >= 0)
                ::close(fd);
        if (actions_made)
            posix_spawn_file_actions_destroy(&actions);
    }
};

} // namespace

int run_program(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                const std::string& stderr_path,
                const std::function<void(std::string_view)>& on_line) {
    if (argv.empty())
        throw std::invalid_argument("run_program needs a program");
    std::vector<std::string> env_strings = extra_env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        bool overridden = false;
        for (const auto& extra : extra_env)
            overridden = overridden || name_of(extra) == name_of(entry);
        if (!overridden)
            env_strings.push_back(entry);
    }
    std::vector<char*> args, env;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env_strings)
        env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);

    spawn_resources r;
    if (::pipe2(r.pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_init(&r.actions);
    r.actions_made = true;
    posix_spawn_file_actions_adddup2(&r.actions, r.pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&r.actions, STDERR_FILENO,
                                     stderr_path.empty() ? "/dev/null" : stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    if (const int err = posix_spawn(&pid, args[0], &r.actions, nullptr, args.data(), env.data());
        err != 0)
        throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(err));
    ::close(r.pipe_fds[1]);
    r.pipe_fds[1] = -1;

    std::string pending;
    char buffer[8192];
    for (;;) {
        const auto n = ::read(r.pipe_fds[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        pending.append(buffer, static_cast<std::size_t>(n));
        for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
            on_line(std::string_view(pending).substr(0, eol));
            pending.erase(0, eol + 1);
        }
    }
    if (!pending.empty())
        on_line(pending);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string own_directory() {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string(".") : self.parent_path().string();
}

} // namespace lockstep::cli
