// Two dispatcher processes over one outbox: while this process commits 10^4 messages over 8
// topics, two child processes dispatch them at once (PostgreSQL, MariaDB, and SQLite in WAL). Every
// message is delivered exactly once, never by both at the same time, and each topic in commit order
// (semantics 11.3, 11.4, 11.6). Usage: lockstep_outbox_dispatchers URL_ENV_VAR|--url URL [messages]
// (exit 77: URL not set) SPDX-License-Identifier: MIT
#include "fault_support.hpp"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>

using namespace lockstep;
using namespace reliability;

namespace {

constexpr int topics = 8;

[[noreturn]] void run_dispatcher(const std::string& url, const outbox& box, int events,
                                 const std::filesystem::path& done) {
    try {
        auto db = connection::open(url);
        outbox_options options;
        options.batch = 16; // small batches: the two processes take turns often
        outbox_dispatcher d(db, box, options);
        for (int t = 0; t < topics; ++t)
            d.handle("topic-" + std::to_string(t), [events](const outbox_delivery& m) {
                const auto n = std::stoll(m.payload);
                record_event(events, 'b', n);
                record_event(events, 'e', n);
            });
        const auto pending = "SELECT COUNT(*) FROM " + db.quote_identifier(box.messages().name()) +
                             " WHERE " + db.quote_identifier("state") + " = 0";
        for (;;) {
            if (d.dispatch_once() > 0)
                continue;
            if (std::filesystem::exists(done) && as_integer(db.query(pending).at(0).at(0)) == 0)
                std::_Exit(0);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dispatcher %d failed: %s\n", ::getpid(), e.what());
        std::_Exit(2);
    }
}

struct event {
    char what;
    std::int64_t n;
    long pid;
};

} // namespace

int main(int argc, char** argv) {
    register_builtin_drivers();
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s URL_ENV_VAR|--url URL [messages]\n", argv[0]);
        return 2;
    }
    int arg = 1;
    const std::string url =
        std::string(argv[arg]) == "--url" ? std::string(argv[++arg]) : url_from_env(argv[arg]);
    ++arg;
    const std::int64_t messages = argc > arg ? std::atoll(argv[arg]) : 10'000;
    const auto started = std::chrono::steady_clock::now();
    const outbox box("rel_dispatchers_" + std::to_string(::getpid()));
    {
        auto db = connection::open(url);
        drop_outbox(db, box);
        create_outbox(db, box);
    } // closed before the forks
    const auto dir = fresh_directory("dispatchers");
    const auto events_file = dir / "events", done = dir / "done";
    const int events = ::open(events_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (events < 0)
        return 2;
    std::vector<pid_t> dispatchers;
    for (int i = 0; i < 2; ++i) {
        const pid_t child = ::fork();
        if (child < 0)
            return 2;
        if (child == 0)
            run_dispatcher(url, box, events, done);
        dispatchers.push_back(child);
    }

    // The writer: blocks of 100 messages, committed while both dispatchers run.
    auto db = connection::open(url);
    for (std::int64_t first = 0; first < messages; first += 100)
        atomic(db, [&] {
            for (auto n = first; n < std::min(first + 100, messages); ++n)
                on_commit_durable(db, box, "topic-" + std::to_string(n % topics),
                                  std::to_string(n));
        });
    { std::ofstream{done}; }
    int failed_dispatchers = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    for (const auto child : dispatchers) {
        int status = 0;
        while (::waitpid(child, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(child, SIGKILL);
                ::waitpid(child, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        failed_dispatchers += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ::close(events);
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    std::vector<event> log;
    {
        std::ifstream in(events_file);
        event e{};
        while (in >> e.what >> e.n >> e.pid)
            log.push_back(e);
    }
    std::map<std::int64_t, int> times;
    std::map<std::int64_t, long> open; // message -> the process whose handler is running it
    std::map<long, std::int64_t> per_process;
    std::map<int, std::int64_t> last_begun, last_ended; // topic -> message
    std::int64_t concurrent = 0, out_of_order = 0, started_early = 0;
    for (const auto& e : log) {
        const int topic = static_cast<int>(e.n % topics);
        if (e.what == 'b') {
            concurrent += open.contains(e.n);
            open[e.n] = e.pid;
            // Commit order per topic: after the topic's previous message, and only once that
            // one's handler has finished.
            const auto previous = last_begun.find(topic);
            if (previous != last_begun.end()) {
                out_of_order += e.n <= previous->second;
                started_early += last_ended[topic] != previous->second;
            }
            last_begun[topic] = e.n;
        } else {
            open.erase(e.n);
            last_ended[topic] = e.n;
            ++times[e.n];
            ++per_process[e.pid];
        }
    }
    std::int64_t missing = 0, repeated = 0;
    for (std::int64_t n = 0; n < messages; ++n) {
        const auto it = times.find(n);
        missing += it == times.end();
        repeated += it != times.end() && it->second > 1;
    }
    const auto undelivered =
        db.query("SELECT COUNT(*) FROM " + db.quote_identifier(box.messages().name()) + " WHERE " +
                 db.quote_identifier("state") + " <> 1");
    const auto left = as_integer(undelivered.at(0).at(0));
    drop_outbox(db, box);
    std::filesystem::remove_all(dir);

    std::ostringstream figures;
    figures << messages << " messages over " << topics << " topics, delivered by two processes (";
    bool first = true;
    for (const auto& [pid, count] : per_process) {
        figures << (first ? "" : " and ") << count;
        first = false;
    }
    figures << "), " << seconds << " s";
    report("two outbox dispatcher processes on " + std::string(db.target_name()), figures.str());
    std::printf("never delivered: %lld; delivered more than once: %lld; delivered by both at "
                "once: %lld; topic order broken: %lld; begun before the previous one ended: "
                "%lld; rows not marked delivered: %lld; dispatchers that failed: %d\n",
                static_cast<long long>(missing), static_cast<long long>(repeated),
                static_cast<long long>(concurrent), static_cast<long long>(out_of_order),
                static_cast<long long>(started_early), static_cast<long long>(left),
                failed_dispatchers);
    // Both processes take part where writers run side by side; on SQLite one write lock takes
    // turns, and one process may well deliver everything.
    const bool both_needed = db.features().supports_concurrent_writers;
    const bool ok = missing == 0 && repeated == 0 && concurrent == 0 && out_of_order == 0 &&
                    started_early == 0 && left == 0 && failed_dispatchers == 0 &&
                    (per_process.size() == 2 || !both_needed);
    std::printf("%s\n", ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
    return ok ? 0 : 1;
}
