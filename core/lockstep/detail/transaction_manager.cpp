// Transaction manager: the block stack, the poisoning rule and the hooks (see the header's table).
// SPDX-License-Identifier: MIT
#include "lockstep/detail/transaction_manager.hpp"

#include "lockstep/log.hpp"

#include <cassert>
#include <exception>
#include <utility>

namespace lockstep::detail {
namespace {

constexpr const char* statement_failed_message =
    "An earlier statement in this atomic block failed; no further statements can run until the "
    "block exits. To recover from a statement that may fail, wrap it in a nested atomic block.";

std::string describe(std::exception_ptr e) {
    try {
        std::rethrow_exception(std::move(e));
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return "an exception that is not a std::exception";
    }
}

} // namespace

transaction_manager::transaction_manager(spi::session& session, isolation_level url_isolation)
    : session_(session), features_(session.features()), pipelines_(session.pipelines()),
      url_isolation_(url_isolation) {}

const std::string& transaction_manager::add_savepoint_names(std::size_t index) {
    // Generated, never taken from input, and a plain identifier on every engine (semantics 1.6).
    // Built once per depth: savepoint workloads format no number per savepoint.
    while (savepoint_names_.size() <= index)
        savepoint_names_.push_back("ls" + std::to_string(savepoint_names_.size()));
    return savepoint_names_[index];
}

void transaction_manager::refuse_statement() const {
    if (broken_)
        throw connection_error("The connection to the database was lost; discard this connection "
                               "and open a new one.");
    if (doomed_)
        throw usage_error("The transaction was ended by an earlier error (" + doomed_reason_ +
                          "); no further statements can run until the outermost atomic block "
                          "exits. Retry the whole outermost block.");
    throw usage_error(rollback_requested_
                          ? "This atomic block is marked for rollback (set_rollback(true) or a "
                            "failed inner block without a savepoint); no further statements "
                            "can run until the block exits."
                          : statement_failed_message);
}

std::size_t transaction_manager::open_block(const atomic_options& options) {
    // A template's common nested block takes run_savepoint_block instead: here come the outermost
    // block, and nested ones that would refuse (durable, an isolation level) or are a test's.
    enter(options);
    return frames_.size() - 1;
}

void transaction_manager::enter(const atomic_options& options) {
    if (!in_block()) {
        if (broken_)
            check_statement_allowed();
        const auto level = options.isolation == isolation_level::engine_default ? url_isolation_
                                                                                : options.isolation;
        try {
            session_.begin(level);
            ++transaction_serial_;
        } catch (const error& e) {
            if (e.poisons_connection())
                broken_ = true;
            throw;
        }
        reset_flags();
        frames_.push_back({frame_kind::outermost, 0, commit_hooks_.size(), rollback_hooks_.size()});
        emit(block_event::begin, 1);
        return;
    }
    // Directly inside a test's block a durable block is the code under test's outermost one.
    if (options.durable && !(test_transaction_ && frames_.size() == 1))
        throw usage_error("A durable atomic block cannot run inside another atomic block; durable "
                          "means its COMMIT must be the outermost one. Move it out of the "
                          "enclosing block (model writes and receivers run inside one).");
    if (options.isolation != isolation_level::engine_default)
        throw usage_error("Only the outermost atomic block can choose an isolation level; the "
                          "transaction has already started.");
    assert(!joins_enclosing(options)); // run_block joins those without a frame
    check_statement_allowed();
    push_savepoint_frame(frame_kind::savepoint);
}

void transaction_manager::emit_to_tracer(block_event event, std::size_t depth,
                                         std::size_t count) noexcept {
    try {
        tracer_->block(event, depth, count);
    } catch (const std::exception& e) {
        log(log_level::warning, std::string("A tracer threw, and was ignored: ") + e.what());
    } catch (...) {
        log(log_level::warning, "A tracer threw, and was ignored.");
    }
}

std::size_t transaction_manager::open_test_block() {
    if (in_block())
        throw usage_error("A test transaction must be the outermost block: open it before any "
                          "atomic block, once per test.");
    enter({});
    test_transaction_ = true;
    return frames_.size() - 1;
}

void transaction_manager::close_test_block(std::size_t index) noexcept {
    if (index >= frames_.size())
        return;
    while (frames_.size() > 1)
        frames_.pop_back(); // nothing can be left open above it by RAII blocks; be safe anyway
    frames_.pop_back();
    test_transaction_ = false;
    finish_outermost_rollback(false);
}

std::vector<std::function<void()>> transaction_manager::commit_hooks_since(std::size_t mark) const {
    std::vector<std::function<void()>> out;
    for (std::size_t i = mark; i < commit_hooks_.size(); ++i)
        out.push_back(commit_hooks_[i].fn);
    return out;
}

void transaction_manager::push_savepoint_frame(frame_kind kind) {
    push_frame(kind);
}

void transaction_manager::close_frames_above(std::size_t index) noexcept {
    // Only manual savepoints can be left open above an atomic block's frame; they become part of
    // it, as SQL would have it (its RELEASE, ROLLBACK TO or COMMIT covers them).
    while (frames_.size() > index + 1) {
        assert(frames_.back().kind == frame_kind::manual);
        frames_.pop_back();
    }
}

void transaction_manager::exit_returned(std::size_t index) {
    close_returned(index);
}

void transaction_manager::run_savepoint_block(void (*body)(void*), void* context) {
    assert(nests_plainly({}) && !joins_enclosing({}));
    // Entry, body and exit in one function of the library: a nested block's SAVEPOINT and RELEASE
    // are one short stretch of code, and the template that calls it holds one call. Savepoint
    // workloads fill the instruction cache with the engine's own code, so each line of code
    // spared here keeps one of the engine's (docs/performance.md, "One call per nested block").
    const auto index = frames_.size();
    check_statement_allowed();
    push_frame(frame_kind::savepoint);
    try {
        body(context);
    } catch (...) {
        exit_threw(index);
        throw;
    }
    close_returned(index);
}

void transaction_manager::exit_returned_general(std::size_t index) {
    if (pipelines_ && !broken_ && !doomed_ && !needs_rollback_) [[unlikely]] {
        // Queued writes of this block run before it releases or commits, so a failure among
        // them leaves this block, as it would have without the pipeline (semantics 10.4).
        try {
            session_.sync();
        } catch (const error& e) {
            statement_failed(e);
            exit_threw(index);
            throw;
        }
    }
    close_frames_above(index);
    const frame f = frames_.back();
    frames_.pop_back();
    switch (f.kind) {
    case frame_kind::manual:
        return;
    case frame_kind::savepoint:
        if (broken_ || doomed_)
            return; // only the outermost block can end this transaction
        if (needs_rollback_) {
            roll_back_frame(f, true);
            return;
        }
        run_savepoint(spi::savepoint_step::release, frames_.size()); // its index before the pop
        emit(block_event::release, frames_.size() + 1);
        return;
    case frame_kind::outermost:
        exit_outermost_returned();
        return;
    }
}

// Out of line: the outermost block's exit builds messages and handles every end of a
// transaction, and would otherwise widen the frame of every savepoint's release.
void transaction_manager::exit_outermost_returned() {
    if (broken_ || doomed_ || needs_rollback_) {
        const bool was_broken = broken_;
        const bool was_doomed = doomed_;
        const bool was_conflict = doomed_by_conflict_;
        const auto reason = doomed_reason_;
        const auto ending_error = doomed_error_;
        finish_outermost_rollback(true);
        if (was_broken)
            throw connection_error("The connection was lost inside this atomic block; its "
                                   "transaction did not commit. Open a new connection and retry.");
        if (was_doomed) {
            // The caller swallowed the error that ended the transaction: raise it again, as
            // its own class, so nothing mistakes this exit for a commit (semantics 2.3).
            const auto message =
                "This atomic block caught an error that ended its transaction (" + reason +
                "); nothing was committed. " +
                (was_conflict ? "Retry the whole block."
                              : "Deal with the cause, then run the whole block again.");
            if (ending_error) {
                try {
                    std::rethrow_exception(ending_error);
                } catch (const error& e) {
                    throw_same_class(e, message);
                } catch (...) {
                }
            }
            if (was_conflict)
                throw transaction_conflict(message);
            throw engine_error(message);
        }
        return; // marked for rollback: rolled back without an exception, as in Django
    }
    try {
        session_.commit();
    } catch (const commit_outcome_unknown&) {
        broken_ = true;
        discard_all_hooks();
        reset_flags();
        throw;
    } catch (const connection_error& e) {
        broken_ = true;
        discard_all_hooks();
        reset_flags();
        throw commit_outcome_unknown(
            "The connection was lost while COMMIT was in flight, so the transaction may or may "
            "not have committed; no hook ran. Check whether the data is there before retrying.",
            e.details());
    } catch (const error&) {
        // The engine refused the COMMIT (a deferred constraint, a serialization failure, or
        // PostgreSQL answering ROLLBACK): nothing committed, so this is a rollback.
        finish_outermost_rollback(false);
        throw;
    } catch (...) {
        broken_ = true;
        discard_all_hooks();
        reset_flags();
        throw;
    }
    rollback_hooks_.clear();
    reset_flags();
    emit(block_event::commit, 1);
    run_commit_hooks();
}

void transaction_manager::exit_threw(std::size_t index) noexcept {
    assert(index < frames_.size());
    close_frames_above(index);
    const frame f = frames_.back();
    frames_.pop_back();
    switch (f.kind) {
    case frame_kind::manual:
        mark_enclosing_for_rollback(); // no savepoint of its own (semantics 1.2)
        return;
    case frame_kind::savepoint:
        if (!broken_ && !doomed_)
            roll_back_frame(f, false);
        return;
    case frame_kind::outermost:
        finish_outermost_rollback(false);
        return;
    }
}

void transaction_manager::roll_back_frame(const frame& f, bool rethrow_hook_errors) {
    try {
        const auto index = frames_.size(); // the frame's index before its pop
        const auto& name = savepoint_name(index);
        session_.run_savepoint(spi::savepoint_step::rollback_to, index, name);
        session_.run_savepoint(spi::savepoint_step::release, index, name);
        emit(block_event::rollback_to, index + 1);
        needs_rollback_ = false;
        rollback_requested_ = false;
        statement_failed_ = false;
    } catch (const error& e) {
        log(log_level::error, std::string("Rolling back to a savepoint failed: ") + e.what() +
                                  " The enclosing block is marked for rollback.");
        statement_failed(e);
    }
    // Tested first: most savepoints roll back with no hook registered inside them.
    if (commit_hooks_.size() > f.commit_mark)
        commit_hooks_.resize(f.commit_mark);
    if (rollback_hooks_.size() > f.rollback_mark)
        run_rollback_hooks_from(f.rollback_mark, rethrow_hook_errors);
}

void transaction_manager::finish_outermost_rollback(bool rethrow_hook_errors) {
    if (!broken_) {
        try {
            session_.rollback();
        } catch (const error& e) {
            if (e.poisons_connection())
                broken_ = true;
            log(log_level::error, std::string("ROLLBACK failed: ") + e.what());
        }
    }
    commit_hooks_.clear();
    reset_flags();
    emit(block_event::rollback, 1);
    run_rollback_hooks_from(0, rethrow_hook_errors);
}

void transaction_manager::run_rollback_hooks_from(std::size_t mark, bool rethrow) {
    if (mark >= rollback_hooks_.size())
        return;
    std::vector<std::function<void()>> hooks(
        std::make_move_iterator(rollback_hooks_.begin() + mark),
        std::make_move_iterator(rollback_hooks_.end()));
    rollback_hooks_.resize(mark);
    emit(block_event::rollback_hooks_ran, frames_.size() + 1, hooks.size());
    std::exception_ptr first;
    for (auto& hook : hooks) {
        try {
            hook();
        } catch (...) {
            if (rethrow && !first)
                first = std::current_exception();
            else
                log(log_level::error,
                    "An on_rollback hook threw: " + describe(std::current_exception()));
        }
    }
    if (first)
        std::rethrow_exception(first);
}

void transaction_manager::run_commit_hooks() {
    auto hooks = std::move(commit_hooks_);
    commit_hooks_.clear();
    if (!hooks.empty())
        emit(block_event::hooks_ran, 1, hooks.size());
    std::exception_ptr first;
    for (auto& hook : hooks) {
        try {
            hook.fn();
        } catch (...) {
            // Every hook runs even if an earlier one threw (semantics 4.4); the first error of a
            // non-robust hook reaches the caller, the rest go to the log.
            if (!hook.robust && !first)
                first = std::current_exception();
            else
                log(log_level::error,
                    "An on_commit hook threw: " + describe(std::current_exception()));
        }
    }
    if (first)
        std::rethrow_exception(first);
}

void transaction_manager::discard_all_hooks() noexcept {
    commit_hooks_.clear();
    rollback_hooks_.clear();
}

void transaction_manager::reset_flags() noexcept {
    needs_rollback_ = false;
    rollback_requested_ = false;
    statement_failed_ = false;
    doomed_ = false;
    doomed_by_conflict_ = false;
    doomed_reason_.clear();
    doomed_error_ = nullptr;
}

void transaction_manager::set_rollback(bool rollback) {
    if (!in_block())
        throw usage_error("set_rollback() is only allowed inside an atomic block.");
    if (!rollback && (statement_failed_ || doomed_))
        throw usage_error("set_rollback(false) cannot undo a failed statement: the engine may "
                          "already have aborted the transaction. Wrap the risky statement in a "
                          "nested atomic block instead.");
    needs_rollback_ = rollback;
    rollback_requested_ = rollback;
}

bool transaction_manager::get_rollback() const {
    if (!in_block())
        throw usage_error("get_rollback() is only allowed inside an atomic block.");
    return needs_rollback_ || doomed_;
}

void transaction_manager::mark_broken() noexcept {
    broken_ = true;
}

void transaction_manager::statement_failed(const error& e) noexcept {
    if (e.poisons_connection())
        broken_ = true;
    // An error without an engine name was raised by Lockstep before anything was sent (a
    // backend's refusal, a placeholder count): nothing happened in the engine (semantics 2.1).
    if (!in_block() || (e.engine_name().empty() && !e.poisons_connection()))
        return;
    needs_rollback_ = true;
    statement_failed_ = true;
    if (doomed_)
        return;
    if (e.poisons_transaction()) {
        doom(e, std::string("a ") + e.kind() + ": " + e.what());
        return;
    }
    if (broken_)
        return;
    // Some engines end the transaction by themselves after certain errors (SQLite on disk
    // full, MySQL on an implicit commit); then no savepoint can recover.
    bool still_in_transaction = true;
    try {
        still_in_transaction = session_.in_transaction();
    } catch (...) {
        still_in_transaction = false;
    }
    if (!still_in_transaction)
        doom(e, std::string("the engine rolled it back after a ") + e.kind() + ": " + e.what());
}

void transaction_manager::doom(const error& e, std::string reason) noexcept {
    doomed_ = true;
    doomed_by_conflict_ = e.is_retryable();
    try {
        doomed_reason_ = std::move(reason);
        // Callers are handling `e`: keep it, so the outermost exit can raise its class again.
        doomed_error_ = std::current_exception();
    } catch (...) {
    }
}

void transaction_manager::on_commit(std::function<void()> hook, bool robust) {
    if (in_block()) {
        commit_hooks_.push_back({std::move(hook), robust});
        return;
    }
    if (!robust) {
        hook();
        return;
    }
    try {
        hook();
    } catch (...) {
        log(log_level::error,
            "A robust on_commit hook threw: " + describe(std::current_exception()));
    }
}

void transaction_manager::on_rollback(std::function<void()> hook) {
    if (!in_block())
        throw usage_error("on_rollback() needs an atomic block: outside one there is no "
                          "transaction that could roll back.");
    rollback_hooks_.push_back(std::move(hook));
}

std::uint64_t transaction_manager::create_manual_savepoint() {
    if (!in_block())
        throw usage_error("Savepoints live only inside a transaction; open an atomic block first.");
    if (!features_.supports_savepoints)
        throw not_supported(
            "This engine has no savepoints; check db.features().supports_savepoints.");
    check_statement_allowed();
    push_savepoint_frame(frame_kind::manual);
    return frames_.back().id;
}

std::size_t transaction_manager::find_manual(std::uint64_t id) const {
    for (std::size_t i = frames_.size(); i-- > 0;)
        if (frames_[i].kind == frame_kind::manual && frames_[i].id == id) {
            if (i + 1 != frames_.size())
                throw usage_error("This savepoint has a block or savepoint open inside it; close "
                                  "those first (savepoints end in the reverse order of creation).");
            return i;
        }
    throw usage_error("This savepoint is no longer open: it was released, or the atomic block it "
                      "was created in has exited.");
}

bool transaction_manager::is_manual_savepoint_open(std::uint64_t id) const noexcept {
    for (const auto& f : frames_)
        if (f.kind == frame_kind::manual && f.id == id)
            return true;
    return false;
}

void transaction_manager::rollback_manual_savepoint(std::uint64_t id) {
    const auto index = find_manual(id);
    if (broken_ || doomed_)
        check_statement_allowed();
    const frame f = frames_[index];
    run_savepoint(spi::savepoint_step::rollback_to, index);
    emit(block_event::rollback_to, index + 1);
    // Rolling back to the savepoint undoes whatever failed after it, so the block may go on.
    needs_rollback_ = false;
    rollback_requested_ = false;
    statement_failed_ = false;
    commit_hooks_.resize(f.commit_mark);
    run_rollback_hooks_from(f.rollback_mark, true);
}

void transaction_manager::release_manual_savepoint(std::uint64_t id) {
    const auto index = find_manual(id);
    check_statement_allowed();
    run_savepoint(spi::savepoint_step::release, index);
    frames_.pop_back();
}

} // namespace lockstep::detail
