// The ready tracers: a stream log and counters.
// SPDX-License-Identifier: MIT
#include "lockstep/trace.hpp"

#include "lockstep/errors.hpp"

#include <iomanip>
#include <ostream>

namespace lockstep {

std::string_view to_string(block_event event) noexcept {
    switch (event) {
    case block_event::begin:
        return "begin";
    case block_event::savepoint:
        return "savepoint";
    case block_event::release:
        return "release";
    case block_event::rollback_to:
        return "rollback_to";
    case block_event::commit:
        return "commit";
    case block_event::rollback:
        return "rollback";
    case block_event::hooks_ran:
        return "hooks_ran";
    case block_event::rollback_hooks_ran:
        return "rollback_hooks_ran";
    case block_event::retry:
        return "retry";
    }
    return "unknown";
}

void stream_tracer::statement(const statement_trace& s) {
    const std::lock_guard lock(mutex_);
    out_ << "lockstep: " << std::fixed << std::setprecision(3)
         << std::chrono::duration<double, std::milli>(s.duration).count() << " ms ";
    if (s.failure != nullptr)
        out_ << "failed (" << s.failure->kind() << ") ";
    else
        out_ << s.rows << (s.rows == 1 ? " row " : " rows ");
    out_ << s.sql;
    if (s.parameters != nullptr) {
        out_ << " [";
        for (std::size_t i = 0; i < s.parameters->size(); ++i)
            out_ << (i ? ", " : "") << (*s.parameters)[i];
        out_ << "]";
    }
    out_ << '\n';
}

void stream_tracer::block(block_event event, std::size_t depth, std::size_t count) {
    const std::lock_guard lock(mutex_);
    out_ << "lockstep: " << to_string(event) << " (depth " << depth;
    if (event == block_event::hooks_ran || event == block_event::rollback_hooks_ran ||
        event == block_event::retry)
        out_ << ", " << count;
    out_ << ")\n";
}

void counting_tracer::statement(const statement_trace& s) {
    statements_.fetch_add(1, std::memory_order_relaxed);
    if (s.failure != nullptr) {
        failed_.fetch_add(1, std::memory_order_relaxed);
        if (s.failure->is_retryable())
            conflicts_.fetch_add(1, std::memory_order_relaxed);
    }
}

void counting_tracer::block(block_event event, std::size_t, std::size_t) {
    switch (event) {
    case block_event::begin:
        blocks_.fetch_add(1, std::memory_order_relaxed);
        break;
    case block_event::commit:
        commits_.fetch_add(1, std::memory_order_relaxed);
        break;
    case block_event::rollback:
        rollbacks_.fetch_add(1, std::memory_order_relaxed);
        break;
    case block_event::savepoint:
        savepoints_.fetch_add(1, std::memory_order_relaxed);
        break;
    case block_event::rollback_to:
        savepoint_rollbacks_.fetch_add(1, std::memory_order_relaxed);
        break;
    case block_event::retry:
        retries_.fetch_add(1, std::memory_order_relaxed);
        break;
    default:
        break;
    }
}

counting_tracer::counts counting_tracer::snapshot() const noexcept {
    counts c;
    c.statements = statements_.load(std::memory_order_relaxed);
    c.failed_statements = failed_.load(std::memory_order_relaxed);
    c.blocks = blocks_.load(std::memory_order_relaxed);
    c.commits = commits_.load(std::memory_order_relaxed);
    c.rollbacks = rollbacks_.load(std::memory_order_relaxed);
    c.savepoints = savepoints_.load(std::memory_order_relaxed);
    c.savepoint_rollbacks = savepoint_rollbacks_.load(std::memory_order_relaxed);
    c.conflicts = conflicts_.load(std::memory_order_relaxed);
    c.retries = retries_.load(std::memory_order_relaxed);
    return c;
}

} // namespace lockstep
