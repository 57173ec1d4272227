// Transaction manager: turns nested atomic blocks into one transaction plus a stack of
// savepoints, keeps the poisoning rule, and owns the on-commit and on-rollback hooks.
// Backend-neutral: it talks to engines only through spi::session.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic_options.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/export.hpp"
#include "lockstep/spi/session.hpp"
#include "lockstep/trace.hpp"

#include <cassert>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace lockstep::detail {

/// Maps blocks to SPI calls (a savepoint's steps go through spi::session::run_savepoint, with
/// the frame's index and its name, ls<index>):
///
/// - outermost block: `begin` on entry; `commit` and the hooks when its body returns;
///   `rollback` when it throws or a rollback is wanted.
/// - nested block with a savepoint: SAVEPOINT on entry; RELEASE when its body returns; ROLLBACK
///   TO and RELEASE when it throws or a rollback is wanted.
/// - nested block without a savepoint: nothing on entry or return; when it throws, the
///   enclosing block is marked for rollback.
///
/// Hooks live in two vectors in registration order. Each savepoint-owning frame remembers how
/// many hooks existed when it opened, so rolling it back discards exactly the hooks registered
/// in it and in everything nested inside it (even released savepoints), and releasing it leaves
/// them to the enclosing frame without moving anything.
///
/// Three levels of trouble, from mild to final:
/// - `needs_rollback`: a statement failed or set_rollback(true) was called; the innermost
///   savepoint-owning frame rolls back when it exits, and no statement may run until then.
/// - `doomed`: the transaction is over on the engine (deadlock, serialization failure, lock
///   timeout, the engine ended it behind our back); only the outermost block can end it.
/// - `broken`: the connection is lost; nothing more is sent to the engine.
class LOCKSTEP_API transaction_manager {
public:
    explicit transaction_manager(spi::session& session, isolation_level url_isolation);
    transaction_manager(const transaction_manager&) = delete;
    transaction_manager& operator=(const transaction_manager&) = delete;

    /// Does a block with `options` join the enclosing one, with no frame of its own? It does when
    /// it is nested, has no savepoint (none asked for, or the engine has none) and asks for
    /// nothing only an outermost block can do. Such a block sends nothing: all it must do is mark
    /// the enclosing block for rollback if its body throws (semantics 1.2).
    bool joins_enclosing(const atomic_options& options) const noexcept {
        return nests_plainly(options) && (!options.savepoint || !features_.supports_savepoints);
    }
    /// Enters a joining block (joins_enclosing is true); returns the stack's depth, which its
    /// exit passes back. Throws if no statement may run now.
    std::size_t join() const {
        check_statement_allowed();
        return frames_.size();
    }
    /// A joining block returned: manual savepoints its body left open become part of the
    /// enclosing block (as they would of any block at its exit).
    void joined_returned(std::size_t depth) noexcept {
        if (frames_.size() != depth) [[unlikely]]
            close_frames_above(depth - 1);
    }
    /// A joining block threw: the enclosing block must roll back. Never throws.
    void joined_threw(std::size_t depth) noexcept {
        close_frames_above(depth - 1);
        mark_enclosing_for_rollback();
    }

    /// Is a block with `options` nested in the open transaction, asking for nothing only an
    /// outermost block can do? Then it joins the enclosing block (joins_enclosing) or, when it
    /// does not, opens a savepoint of its own (run_savepoint_block).
    bool nests_plainly(const atomic_options& options) const noexcept {
        return in_block() && !options.durable &&
               options.isolation == isolation_level::engine_default;
    }
    /// Runs `body(context)` as a block with its own savepoint (nests_plainly is true and
    /// joins_enclosing false), as open_block, the body, and exit_returned or exit_threw would;
    /// the body's exception is rethrown after the rollback.
    void run_savepoint_block(void (*body)(void*), void* context);
    /// Opens a block that does not join (joins_enclosing is false): BEGIN for the outermost, a
    /// savepoint for a nested one (which run_savepoint_block also runs, in one call). Returns the
    /// block's index, which its exit passes back.
    std::size_t open_block(const atomic_options& options);
    /// Closes block `index` whose body returned: commit, release, or the rollback it was marked
    /// for. Throws when COMMIT fails or a hook throws.
    void exit_returned(std::size_t index);
    /// Closes block `index` whose body threw. Never throws: failures while rolling back are
    /// logged, so the body's exception propagates as it was.
    void exit_threw(std::size_t index) noexcept;

    /// Opens the outermost block of a test (lockstep::testing::test_transaction): it always rolls
    /// back, and a durable block directly inside it runs as a nested one, as in Django's
    /// TestCase. Returns its index for `close_test_block`.
    std::size_t open_test_block();
    /// Rolls the test's block back, whatever happened inside it. Never throws.
    void close_test_block(std::size_t index) noexcept;
    /// Counts the transactions this connection has begun: tells one transaction from the next.
    std::uint64_t transaction_serial() const noexcept { return transaction_serial_; }
    /// How many on_commit hooks are waiting for the outermost COMMIT.
    std::size_t commit_hook_count() const noexcept { return commit_hooks_.size(); }
    /// Copies of the waiting on_commit hooks from position `mark` on, in registration order.
    std::vector<std::function<void()>> commit_hooks_since(std::size_t mark) const;

    /// Reports block events to `t` from now on (nullptr: to nobody).
    void set_tracer(tracer* t) noexcept { tracer_ = t; }
    /// lockstep::retry is about to run its block again (`attempt` is 2 for the first rerun).
    void note_retry(std::size_t attempt) noexcept { emit(block_event::retry, 1, attempt); }

    bool in_block() const noexcept { return !frames_.empty(); }
    std::size_t depth() const noexcept { return frames_.size(); }
    bool needs_rollback() const noexcept { return needs_rollback_; }
    bool is_broken() const noexcept { return broken_; }

    /// semantics 1.4. Throws `usage_error` outside an atomic block.
    void set_rollback(bool rollback);
    bool get_rollback() const;

    /// Throws `usage_error` (or `connection_error` when broken) if no statement may run now.
    void check_statement_allowed() const {
        if (broken_ || ((doomed_ || needs_rollback_) && in_block())) [[unlikely]]
            refuse_statement();
    }
    /// Records that a statement failed with `e` (semantics 2.1, 2.2). Errors that carry no engine
    /// name were raised before anything reached the engine and leave the block as it was. Called
    /// while `e` is being handled, so an error that ends the transaction can be kept and raised
    /// again, as its own class, by the outermost block's exit.
    void statement_failed(const error& e) noexcept;
    /// Records that the connection is lost.
    void mark_broken() noexcept;

    /// semantics 4.1-4.4: runs `hook` now outside a transaction, else after the outermost COMMIT.
    void on_commit(std::function<void()> hook, bool robust);
    /// semantics 4.5: runs `hook` after the block it was registered in rolls back.
    void on_rollback(std::function<void()> hook);

    /// Manual savepoints (advanced use): an id for `release_manual`/`rollback_manual`.
    std::uint64_t create_manual_savepoint();
    void rollback_manual_savepoint(std::uint64_t id);
    void release_manual_savepoint(std::uint64_t id);
    bool is_manual_savepoint_open(std::uint64_t id) const noexcept;

private:
    enum class frame_kind { outermost, savepoint, manual };
    struct frame {
        frame_kind kind;
        std::uint64_t id;          // identifies a manual savepoint for its handle; 0 if none
        std::size_t commit_mark;   // commit hooks registered before this frame opened
        std::size_t rollback_mark; // rollback hooks registered before this frame opened
    };
    struct commit_hook {
        std::function<void()> fn;
        bool robust;
    };

    void enter(const atomic_options& options);
    /// One predictable branch when no tracer is installed.
    void emit(block_event event, std::size_t depth, std::size_t count = 0) noexcept {
        if (tracer_ != nullptr) [[unlikely]]
            emit_to_tracer(event, depth, count);
    }
    void emit_to_tracer(block_event event, std::size_t depth, std::size_t count) noexcept;
    /// The transaction is over on the engine because of `e` (being handled now).
    void doom(const error& e, std::string reason) noexcept;
    [[noreturn]] void refuse_statement() const;
    /// The SQL name of the savepoint of the frame at `index` in the stack: ls<index>.
    /// Names are unique among the savepoints open on the connection, and reused by later
    /// siblings, so engines that cache statements prepare each name once.
    const std::string& savepoint_name(std::size_t index) {
        if (index < savepoint_names_.size()) [[likely]]
            return savepoint_names_[index];
        return add_savepoint_names(index);
    }
    const std::string& add_savepoint_names(std::size_t index);
    /// Runs `step` of the savepoint of the frame at `index` (spi::session::run_savepoint); a
    /// failure is recorded (statement_failed: the enclosing block is marked) and rethrown.
    void run_savepoint(spi::savepoint_step step, std::size_t index) {
        try {
            session_.run_savepoint(step, index, savepoint_name(index));
        } catch (const error& e) {
            statement_failed(e);
            throw;
        }
    }
    std::size_t find_manual(std::uint64_t id) const;
    /// SAVEPOINT, then the frame that remembers it and the hooks registered before it.
    [[gnu::always_inline]] void push_frame(frame_kind kind) {
        const auto id = next_savepoint_id_++;
        run_savepoint(spi::savepoint_step::create, frames_.size());
        frames_.push_back({kind, id, commit_hooks_.size(), rollback_hooks_.size()});
        emit(block_event::savepoint, frames_.size());
    }
    /// push_frame, out of line: for the blocks and manual savepoints off the common path.
    void push_savepoint_frame(frame_kind kind);
    /// exit_returned, inline in it and in run_savepoint_block. The common savepoint exit comes
    /// first, in one short stretch of code: RELEASE, or the rollback the block was marked for,
    /// with nothing queued, traced or open above it.
    [[gnu::always_inline]] void close_returned(std::size_t index) {
        assert(index < frames_.size());
        if (index + 1 == frames_.size() && frames_.back().kind == frame_kind::savepoint &&
            !pipelines_ && !broken_ && !doomed_ && tracer_ == nullptr) [[likely]] {
            const frame f = frames_.back();
            frames_.pop_back();
            if (needs_rollback_) {
                roll_back_frame(f, true);
                return;
            }
            run_savepoint(spi::savepoint_step::release, index);
            return;
        }
        exit_returned_general(index);
    }
    /// exit_returned beyond its common case: a pipelined session, a tracer, trouble, manual
    /// savepoints left open above the block, the outermost block. Never inlined: inlined, it
    /// put its code between the common case's test and its body, four code lines for two.
    [[gnu::noinline]] void exit_returned_general(std::size_t index);
    /// exit_returned for the outermost block: COMMIT, or the rollback it was marked for.
    void exit_outermost_returned();
    void close_frames_above(std::size_t index) noexcept;
    /// A frame without a savepoint of its own ended by an exception: the enclosing block rolls
    /// back.
    void mark_enclosing_for_rollback() noexcept {
        needs_rollback_ = true;
        rollback_requested_ = rollback_requested_ || !statement_failed_;
    }
    // With `rethrow_hook_errors`, the first on_rollback hook error is rethrown after all ran
    // (no exception is in flight); otherwise hook errors are logged.
    void roll_back_frame(const frame& f, bool rethrow_hook_errors);
    void finish_outermost_rollback(bool rethrow_hook_errors);
    void run_commit_hooks();
    void run_rollback_hooks_from(std::size_t mark, bool rethrow);
    void discard_all_hooks() noexcept;
    void reset_flags() noexcept;

    // What every statement and block reads comes first (128 bytes), right after the connection's
    // own hot fields in connection_state's first cache lines: a savepoint op's working set sits at
    // the size of the level-1 data cache, so each line spared is a line of the engine's kept
    // (docs/performance.md, "Hot fields first").
    spi::session& session_;
    // Valid for the session's life (spi::session::features): no virtual call per savepoint.
    const lockstep::features& features_;
    std::vector<frame> frames_;
    std::vector<std::string> savepoint_names_; // by depth, see savepoint_name
    std::vector<commit_hook> commit_hooks_;
    std::vector<std::function<void()>> rollback_hooks_;
    tracer* tracer_ = nullptr; // owned by the connection
    bool pipelines_; // the session queues writes: wait for them before a block ends (10.4)
    bool needs_rollback_ = false;
    bool rollback_requested_ = false; // set_rollback(true), or a joining block threw
    bool statement_failed_ = false;   // a statement failed: set_rollback(false) cannot undo it
    bool doomed_ = false;
    bool doomed_by_conflict_ = false;
    bool broken_ = false;
    bool test_transaction_ = false; // the outermost block is a test's (open_test_block)
    isolation_level url_isolation_;
    std::uint64_t next_savepoint_id_ = 1;
    std::uint64_t transaction_serial_ = 0;
    std::string doomed_reason_;
    std::exception_ptr doomed_error_; // the error that ended the transaction, if any
};

} // namespace lockstep::detail
