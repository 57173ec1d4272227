// Tracing: a per-connection (or pool-wide) observer of statements and block events, and the
// ready tracers (a log, slow statements, counters).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"
#include "lockstep/value.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep {

class error;

/// What an atomic block did, as a tracer hears it.
enum class block_event {
    begin,              ///< the outermost block opened a transaction
    savepoint,          ///< a nested block (or a manual savepoint) created its savepoint
    release,            ///< a nested block released its savepoint
    rollback_to,        ///< a nested block rolled back to its savepoint
    commit,             ///< the outermost block committed
    rollback,           ///< the outermost block rolled back
    hooks_ran,          ///< on_commit hooks ran after a commit (`count` of them)
    rollback_hooks_ran, ///< on_rollback hooks ran after a rollback (`count` of them)
    retry,              ///< lockstep::retry is running its block again after a conflict
};

/// Returns "begin", "savepoint", ... for `event`.
LOCKSTEP_API std::string_view to_string(block_event event) noexcept;

/// One statement, as a tracer hears it when it has finished.
struct LOCKSTEP_API statement_trace {
    std::string_view sql;                ///< with its placeholders; never with values
    std::chrono::nanoseconds duration{}; ///< how long the engine took, from sending to the last row
    std::int64_t rows = -1;              ///< rows changed or returned; -1 when it failed
    const error* failure = nullptr;      ///< the error it raised, or nullptr
    /// The bound values, only when the tracer was installed with a redaction callback
    /// (`tracer_options::parameters`), each as that callback wrote it.
    const std::vector<std::string>* parameters = nullptr;
};

/// Observes one connection (or every connection of a pool). Calls come on the thread that uses
/// the connection; a tracer shared by a pool is called from several threads at once.
///
/// Example:
///
///     struct printer : lockstep::tracer {
///         void statement(const lockstep::statement_trace& s) override { log(s.sql, s.duration); }
///     };
///     db.set_tracer(std::make_shared<printer>());
class LOCKSTEP_API tracer {
public:
    virtual ~tracer() = default;
    /// A statement finished, or failed.
    virtual void statement(const statement_trace& s) { (void)s; }
    /// A block did something; `depth` is 1 for the outermost block. For `hooks_ran`,
    /// `rollback_hooks_ran` and `retry`, `count` says how many (hooks, or the attempt number).
    virtual void block(block_event event, std::size_t depth, std::size_t count) {
        (void)event;
        (void)depth;
        (void)count;
    }
};

/// How a tracer is installed.
struct LOCKSTEP_API tracer_options {
    /// Bound values are never shown to a tracer unless this is set; then each value is passed
    /// through it, with its position, and the tracer sees what it returns ("***" for secrets).
    std::function<std::string(std::size_t position, const param& value)> parameters{};
};

/// Writes one line per statement and block event to a stream ("lockstep: 0.081 ms 1 row
/// INSERT INTO ..."). Lines from several threads do not interleave.
class LOCKSTEP_API stream_tracer : public tracer {
public:
    /// Writes to `out`, which must outlive the tracer; one line per event.
    explicit stream_tracer(std::ostream& out) : out_(out) {}
    void statement(const statement_trace& s) override;
    void block(block_event event, std::size_t depth, std::size_t count) override;

private:
    std::ostream& out_;
    std::mutex mutex_;
};

/// Calls `report` for every statement that took at least `threshold`.
///
/// Example:
///
///     db.set_tracer(std::make_shared<lockstep::slow_statement_tracer>(
///         std::chrono::milliseconds(50), [](const lockstep::statement_trace& s) {
///             std::clog << "slow: " << s.sql << "\n";
///         }));
class LOCKSTEP_API slow_statement_tracer : public tracer {
public:
    /// Calls `report` for every statement that takes `threshold` or longer.
    slow_statement_tracer(std::chrono::nanoseconds threshold,
                          std::function<void(const statement_trace&)> report)
        : threshold_(threshold), report_(std::move(report)) {}
    void statement(const statement_trace& s) override {
        if (s.duration >= threshold_)
            report_(s);
    }

private:
    std::chrono::nanoseconds threshold_;
    std::function<void(const statement_trace&)> report_;
};

/// Counts what happened, readable at any time from any thread.
class LOCKSTEP_API counting_tracer : public tracer {
public:
    /// The counters at one moment.
    struct counts {
        std::uint64_t statements = 0;          ///< statements run
        std::uint64_t failed_statements = 0;   ///< statements that raised an error
        std::uint64_t blocks = 0;              ///< outermost atomic blocks begun
        std::uint64_t commits = 0;             ///< transactions committed
        std::uint64_t rollbacks = 0;           ///< transactions rolled back
        std::uint64_t savepoints = 0;          ///< savepoints made (nested blocks)
        std::uint64_t savepoint_rollbacks = 0; ///< rollbacks to a savepoint
        std::uint64_t conflicts = 0;           ///< statements that raised `transaction_conflict`
        std::uint64_t retries = 0;             ///< reruns by `lockstep::retry`
    };
    void statement(const statement_trace& s) override;
    void block(block_event event, std::size_t depth, std::size_t count) override;
    /// A snapshot of the counters.
    counts snapshot() const noexcept;

private:
    std::atomic<std::uint64_t> statements_{0}, failed_{0}, blocks_{0}, commits_{0}, rollbacks_{0},
        savepoints_{0}, savepoint_rollbacks_{0}, conflicts_{0}, retries_{0};
};

} // namespace lockstep
