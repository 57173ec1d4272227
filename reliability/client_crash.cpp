// Client crash: a child process runs a stream of blocks whose receiver writes a child row and
// whose on_commit hook records the block, and is SIGKILLed at a random point, hundreds of times.
// Afterwards every acknowledged block is committed whole, no parent lacks its child, no hook ran
// for a block that did not commit, and an SQLite file passes integrity_check.
// Usage: lockstep_client_crash URL_ENV_VAR|--url URL [kills] [seed]   (exit 77: URL not set)
// SPDX-License-Identifier: MIT
#include "fault_support.hpp"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <random>
#include <set>
#include <sstream>
#include <sys/wait.h>

using namespace lockstep;
using namespace reliability;

namespace {

std::set<std::int64_t> read_numbers(const std::filesystem::path& file) {
    std::set<std::int64_t> out;
    std::ifstream in(file);
    for (std::int64_t n; in >> n;)
        out.insert(n);
    return out;
}

[[noreturn]] void run_child(const std::string& url, const pair_schema& s, std::int64_t first,
                            int acks, int hooks, int ready) {
    try {
        auto db = connection::open(url);
        auto receiver = s.connect_child_writer();
        // Tells the parent the connection is open, so its clock starts on the blocks.
        if (::write(ready, "x", 1) != 1)
            std::_Exit(3);
        for (std::int64_t n = first;; ++n) {
            atomic(db, [&] {
                db.insert(s.parents, parent{.id = 0, .name = std::to_string(n)});
                on_commit(db, [&] { append_record(hooks, std::to_string(n)); });
            });
            append_record(acks,
                          std::to_string(n)); // acknowledged: the block returned, so it committed
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "child failed before it was killed: %s\n", e.what());
        std::_Exit(2);
    }
}

} // namespace

int main(int argc, char** argv) {
    register_builtin_drivers();
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s URL_ENV_VAR|--url URL [kills] [seed]\n", argv[0]);
        return 2;
    }
    int arg = 1;
    const std::string url =
        std::string(argv[arg]) == "--url" ? std::string(argv[++arg]) : url_from_env(argv[arg]);
    ++arg;
    const int kills = argc > arg ? std::atoi(argv[arg]) : 150;
    const unsigned seed = argc > arg + 1 ? static_cast<unsigned>(std::atoi(argv[arg + 1]))
                                         : static_cast<unsigned>(::getpid());
    const auto started = std::chrono::steady_clock::now();
    const pair_schema s("crash");
    {
        auto db = connection::open(url);
        db.drop_tables(s.parents, s.children);
        db.create_tables(s.parents, s.children);
    } // closed before any fork: children open their own
    const auto dir = fresh_directory("crash");
    const auto ack_file = dir / "acks", hook_file = dir / "hooks";
    const int acks = ::open(ack_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int hooks = ::open(hook_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (acks < 0 || hooks < 0)
        return 2;
    std::mt19937 rng(seed);
    // Servers need a few milliseconds to accept a connection: give their children longer.
    const int longest_ms = url.starts_with("sqlite") ? 25 : 60;
    int child_errors = 0;
    for (int k = 0; k < kills; ++k) {
        int ready[2];
        if (::pipe(ready) != 0)
            return 2;
        const pid_t child = ::fork();
        if (child < 0)
            return 2;
        if (child == 0)
            run_child(url, s, std::int64_t{k} * 1'000'000, acks, hooks, ready[1]);
        ::close(ready[1]);
        // Three kills in four are timed from the open connection, not from the fork: under a
        // sanitizer or on a loaded machine, connecting alone can outlast the whole window, and
        // a run whose children never reach a block proves nothing. The fourth may land anywhere,
        // connecting included.
        if (k % 4 != 3) {
            pollfd wait_ready{.fd = ready[0], .events = POLLIN, .revents = 0};
            (void)::poll(&wait_ready, 1, 10'000);
        }
        const auto delay = std::chrono::microseconds(rng() % (longest_ms * 1000));
        std::this_thread::sleep_for(delay);
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        ::close(ready[0]); // only now: closed earlier, the child's write would end it by SIGPIPE
        if (WIFEXITED(status)) // it ended by itself: an error, not our kill
            ++child_errors;
    }
    ::close(acks);
    ::close(hooks);

    auto db = connection::open(url);
    std::set<std::int64_t> committed, with_child;
    for (const auto& p : db.all(s.parents))
        committed.insert(std::stoll(p.name));
    std::int64_t orphans = 0;
    for (const auto& c : db.all(s.children)) {
        const auto n = std::stoll(c.name.substr(std::string("child of ").size()));
        with_child.insert(n);
        orphans += committed.count(n) == 0;
    }
    const auto acked = read_numbers(ack_file), hooked = read_numbers(hook_file);
    std::int64_t lost = 0, half = 0, phantom_hooks = 0;
    std::string lost_numbers; // the first few, to find them in a server's log
    for (const auto n : acked)
        if (committed.count(n) == 0 && ++lost <= 5)
            lost_numbers += " " + std::to_string(n);
    for (const auto n : committed)
        half += with_child.count(n) == 0;
    for (const auto n : hooked)
        phantom_hooks += committed.count(n) == 0;
    std::string integrity = "not applicable";
    if (db.engine_name() == "sqlite") {
        const auto rows = db.query("PRAGMA integrity_check");
        integrity = rows.size() == 1 ? as_text(rows[0][0]) : "several problems";
    }
    db.drop_tables(s.parents, s.children);
    std::filesystem::remove_all(dir);
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    std::ostringstream figures;
    figures << kills << " kills, " << committed.size() << " blocks committed, " << acked.size()
            << " acknowledged, " << hooked.size() << " hooks run, " << seconds << " s (seed "
            << seed << ")";
    report("client crash on " + std::string(db.target_name()), figures.str());
    if (lost > 0)
        std::printf("acknowledged but not committed (the first 5 at most):%s\n",
                    lost_numbers.c_str());
    std::printf("acknowledged but lost: %lld; parents without child: %lld; children without "
                "parent: %lld; hooks for uncommitted blocks: %lld; children that failed: %d; "
                "integrity_check: %s\n",
                static_cast<long long>(lost), static_cast<long long>(half),
                static_cast<long long>(orphans), static_cast<long long>(phantom_hooks),
                child_errors, integrity.c_str());
    const bool ok = lost == 0 && half == 0 && orphans == 0 && phantom_hooks == 0 &&
                    child_errors == 0 && (integrity == "ok" || integrity == "not applicable") &&
                    !committed.empty();
    std::printf("%s\n", ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
    return ok ? 0 : 1;
}
