// A transactional outbox: messages written in the caller's transaction, delivered after commit
// by a dispatcher the host owns, and kept until delivered (semantics 11, docs/outbox.md).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic_options.hpp"
#include "lockstep/connection.hpp"
#include "lockstep/export.hpp"
#include "lockstep/table.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lockstep {

/// Where an outbox message is in its life (the `state` column).
enum class outbox_state : std::int64_t {
    pending = 0,   ///< committed, waiting for delivery (or for its next attempt)
    delivered = 1, ///< a handler returned; kept until the host deletes it
    dead = 2,      ///< every attempt failed; kept with its last error for the host to look at
};

/// One row of an outbox table. Times are milliseconds since the Unix epoch.
struct LOCKSTEP_API outbox_message {
    std::int64_t id = 0;                        ///< the key; messages are delivered in its order
    std::string topic;                          ///< which handler delivers it
    std::string payload;                        ///< text, or hex digits when `binary`
    bool binary = false;                        ///< `payload` holds bytes as hex digits
    std::optional<std::string> idempotency_key; ///< handed to the handler as given
    std::int64_t state = 0;                     ///< an `outbox_state`
    std::int64_t attempts = 0;                  ///< handler calls so far
    std::int64_t created_at = 0;                ///< when it was written
    std::int64_t available_at = 0;              ///< not delivered before (retry backoff)
    std::int64_t lease_until = 0;               ///< claimed by `lease_owner` until then
    std::optional<std::string> lease_owner;     ///< the dispatcher that claimed it
    std::optional<std::string> last_error;      ///< what the last failed attempt threw
};

/// One row of an outbox's topic table: the row a transaction locks before it writes its first
/// message of a topic, so that writers of one topic commit one after another (semantics 11.4).
struct LOCKSTEP_API outbox_topic {
    std::int64_t id = 0;     ///< a stable hash of the topic (two topics sharing one only wait more)
    std::string topic;       ///< the topic that first wrote the row, for people reading the table
    std::int64_t writes = 0; ///< transactions that have written a message of this topic
};

/// How an outbox wakes dispatchers in other processes.
struct LOCKSTEP_API outbox_settings {
    /// On PostgreSQL, a transaction's first message also sends `NOTIFY "<table>"` in it (one
    /// statement per transaction), and a running dispatcher on a native PostgreSQL connection
    /// LISTENs, so it wakes as soon as any process commits a message instead of at its next
    /// poll (semantics 11.9). Ignored elsewhere.
    bool notify = false;
    /// Per-topic commit order (semantics 11.4): on engines with row locks, a transaction's first
    /// message of a topic first locks that topic's row in the topic table until it commits, so
    /// writers of one topic commit in the order their keys were drawn and the dispatcher's key
    /// order is their commit order. Off: writers of one topic do not wait for each other, and
    /// their messages go in key order, which is not commit order when the transaction that drew
    /// its key first commits last.
    bool ordered_topics = true;
};

/// An outbox table, named by the host, with its topic table beside it. Create both with
/// `create_outbox` and drop them with `drop_outbox`; like any table it is a value the program
/// keeps for as long as it uses it.
///
/// Example:
///
///     inline const lockstep::outbox mail_box{"mail_outbox"};
///     lockstep::create_outbox(db, mail_box);
///     lockstep::atomic(db, [&] {
///         db.add(orders, order);
///         lockstep::on_commit_durable(db, mail_box, "mail.confirm", order_json);
///     });
class LOCKSTEP_API outbox {
public:
    /// An outbox stored in table `table_name`.
    ///
    /// Example: `lockstep::outbox jobs{"job_outbox", {.notify = true}};`
    explicit outbox(std::string table_name = "lockstep_outbox", outbox_settings settings = {});
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    /// Does a message send NOTIFY on PostgreSQL (`outbox_settings::notify`)?
    bool notifies() const noexcept { return settings_.notify; }
    /// Do writers of one topic commit one after another (`outbox_settings::ordered_topics`)?
    bool orders_topics() const noexcept { return settings_.ordered_topics; }
    /// The table that holds the messages.
    const table<outbox_message>& messages() const noexcept { return messages_; }
    /// The table of topic rows that writers lock (semantics 11.4): "<table>_topics", or a
    /// shortened name with a hash when the table's name is long.
    const table<outbox_topic>& topics() const noexcept { return topics_; }
    /// The index on (state, topic, id) that `create_outbox` adds: "<table>_pending", or a shortened
    /// name with a hash when the table's name is long.
    std::string index_name() const;

    /// Wakes this process's running dispatchers of this outbox (on_commit_durable's on_commit
    /// hook calls it after the message's transaction commits).
    void notify_committed() const;
    /// Waits until a commit is notified after `seen` (a value `commits()` returned), `timeout`
    /// passes, or `stop` is requested. Returns the current count.
    std::uint64_t wait_for_commit(std::uint64_t seen, std::chrono::milliseconds timeout,
                                  std::stop_token stop) const;
    /// How many commits with messages this process has notified so far.
    std::uint64_t commits() const;
    /// For on_commit_durable: true for the first message of `db`'s transaction `serial` (and
    /// again after a rollback of the savepoint that held it).
    bool first_in_transaction(const connection& db, std::uint64_t serial) const;
    /// For on_commit_durable's on_rollback hook: the savepoint that held `db`'s first message of
    /// this transaction rolled back, so the next one is the first again.
    void forget_first(const connection& db) const;
    /// For on_commit_durable: has `db`'s transaction `serial` locked `topic`'s row already?
    bool topic_locked(const connection& db, std::uint64_t serial, std::string_view topic) const;
    /// For on_commit_durable: `db`'s transaction `serial` holds `topic`'s row lock now.
    void remember_topic(const connection& db, std::uint64_t serial, std::string_view topic) const;
    /// For on_commit_durable's on_rollback hook: the savepoint that locked `topic` rolled back,
    /// and PostgreSQL released the lock with it.
    void forget_topic(const connection& db, std::string_view topic) const;
    /// For on_commit_durable's on_commit hook: `db`'s transaction ended.
    void forget_transaction(const connection& db) const;
    /// `NOTIFY "<table>"` in `db`'s quoting.
    std::string notify_sql(const connection& db) const;
    /// The statement that locks a topic's row (inserting it the first time), with the parameters
    /// (hash, topic); `db` picks the engine's spelling of an upsert.
    std::string lock_topic_sql(const connection& db) const;

private:
    /// What on_commit_durable has done in one connection's current transaction.
    struct transaction_marks {
        std::uint64_t serial = 0;                  ///< the transaction
        bool first_written = false;                ///< its first message (and hooks) written
        std::set<std::string, std::less<>> locked; ///< topics whose rows it has locked
    };
    /// The entry for `db`'s transaction `serial`, reset when it held an earlier transaction's.
    transaction_marks& marks_for(const connection& db, std::uint64_t serial) const;
    /// Drops `db`'s entry once nothing in it is left to remember.
    void drop_if_empty(const connection& db) const;

    table<outbox_message> messages_;
    outbox_settings settings_;
    table<outbox_topic> topics_;
    mutable std::mutex mutex_;
    mutable std::condition_variable_any committed_;
    mutable std::uint64_t commits_ = 0;
    /// Connections in a transaction that has a message of this outbox, and what it wrote.
    mutable std::map<const connection*, transaction_marks> transactions_;
};

/// Creates `box`'s message table on `db`, with an index on (state, topic, id) so dispatchers find
/// each topic's pending messages without reading delivered ones, and its topic table
/// (semantics 11.1, 11.4, 11.8).
LOCKSTEP_API void create_outbox(connection& db, const outbox& box);

/// Drops `box`'s tables from `db` if they exist, messages and all.
LOCKSTEP_API void drop_outbox(connection& db, const outbox& box);

/// Writes a message for `topic` into `box` in `db`'s current transaction: it commits or rolls
/// back with the caller's rows and follows savepoints like any row (semantics 11.2). Outside a
/// block it is its own atomic unit, as a model write is. `payload` is text (checked like every
/// text value, semantics 6.2); `idempotency_key`, if given, reaches the handler unchanged.
///
/// Example (in a receiver, so the message follows the row):
///
///     lockstep::on_commit_durable(e.db, box, "order.created", std::to_string(e.instance.id));
LOCKSTEP_API void on_commit_durable(connection& db, const outbox& box, std::string_view topic,
                                    std::string_view payload,
                                    std::optional<std::string_view> idempotency_key = {});
/// The same with a payload of bytes (stored as hex digits, handed back as bytes).
LOCKSTEP_API void on_commit_durable(connection& db, const outbox& box, std::string_view topic,
                                    std::span<const std::byte> payload,
                                    std::optional<std::string_view> idempotency_key = {});

/// What a handler receives.
struct LOCKSTEP_API outbox_delivery {
    std::int64_t id = 0;                        ///< the message's key
    std::string topic;                          ///< its topic
    std::string payload;                        ///< its text payload (hex digits if binary)
    bool binary = false;                        ///< the payload was given as bytes
    std::optional<std::string> idempotency_key; ///< as given to on_commit_durable
    std::int64_t attempt = 1;                   ///< 1 on the first delivery, 2 on the first retry
    /// The payload as bytes (decoded when it was written as bytes, else the text's bytes).
    blob bytes() const;
};

/// How an outbox_dispatcher retries and claims.
struct LOCKSTEP_API outbox_options {
    /// Handler calls per message before it is parked as dead.
    int max_attempts = 5;
    /// The wait before the first retry; it doubles per attempt up to `max_retry_delay`.
    std::chrono::milliseconds first_retry_delay{200};
    /// The longest wait between two attempts.
    std::chrono::milliseconds max_retry_delay{std::chrono::minutes(5)};
    /// How long a claimed message is reserved for this dispatcher: one that dies mid-delivery
    /// holds its messages no longer than this.
    std::chrono::milliseconds lease{std::chrono::seconds(30)};
    /// Messages read per dispatch_once.
    std::size_t batch = 64;
    /// The time in milliseconds since the epoch; replaceable for tests.
    std::function<std::int64_t()> clock{};
    /// How long a running dispatcher (`start`) sleeps when nothing is due and no commit of this
    /// process woke it: the fallback for messages committed by other processes.
    std::chrono::milliseconds poll_interval{std::chrono::seconds(1)};
    /// Called on the dispatcher's thread when a dispatch fails (a lost connection, say); the
    /// thread then waits `poll_interval` and tries again. Unset: the error goes to the log sink.
    std::function<void(const std::exception&)> on_error{};
};

/// Delivers committed outbox messages to handlers registered per topic (semantics 11.3-11.5).
/// Host-owned and poll-driven: call `dispatch_once` from a loop, a timer or an on_commit nudge.
/// It uses `db` for short transactions of its own, so `db` must not be in a block; give it a
/// connection of its own.
///
/// Example:
///
///     lockstep::outbox_dispatcher d(dispatch_db, mail_box);
///     d.handle("mail.confirm", [&](const lockstep::outbox_delivery& m) { mailer.send(m.payload);
///     }); while (running) { if (d.dispatch_once() == 0) std::this_thread::sleep_for(1s); }
class LOCKSTEP_API outbox_dispatcher {
public:
    /// A dispatcher of `box`'s messages through `db`, which it uses for its own short
    /// transactions. Throws `usage_error` for options it cannot honour (no attempt, no batch).
    outbox_dispatcher(connection& db, const outbox& box, outbox_options options = {});

    /// Delivers `topic`'s messages to `handler`. A handler that throws leaves its message for a
    /// retry (and holds back the topic's later messages until it is delivered or dead).
    void handle(std::string topic, std::function<void(const outbox_delivery&)> handler);

    /// Claims the due messages of handled topics, delivers them in key order per topic, and
    /// marks each delivered one in its own short transaction. Returns how many were delivered.
    std::size_t dispatch_once();

    /// The messages parked as dead, oldest first.
    std::vector<outbox_message> dead_messages();

    /// This dispatcher's name in `lease_owner`.
    const std::string& owner() const noexcept { return owner_; }

    /// Runs `dispatch_once` on a thread of its own until `stop` (or destruction): again at once
    /// while messages keep coming, else when a commit of this process writes a message to the
    /// outbox, else every `poll_interval`. The connection then belongs to that thread: do not use
    /// it elsewhere until `stop` returns. Handlers are registered before `start`.
    void start();
    /// Stops the thread `start` began and waits for its dispatch in progress to end.
    void stop();
    /// How many times the running dispatcher found nothing to deliver and began to wait (for
    /// monitoring and tests; a commit that follows such a wait can only be seen by a nudge or
    /// the poll).
    std::uint64_t sleeps() const noexcept { return sleeps_.load(); }
    ~outbox_dispatcher();
    outbox_dispatcher(outbox_dispatcher&&) = delete;
    outbox_dispatcher& operator=(outbox_dispatcher&&) = delete;

private:
    void run(std::stop_token stop);

    /// The dispatcher's SQL, built once from the table's and columns' quoted names.
    struct statements {
        std::string claim, abandon, delivered, failed, release, dead;
        std::string take_write_lock;         ///< SQLite: a write that matches nothing, for the lock
        std::string select_pending;          ///< the columns a claim reads, of pending messages
        std::string id, topic, order_by_id;  ///< quoted names and " ORDER BY id"
        std::vector<std::string> heads;      ///< [n]: the first `batch` of n topics each
        std::vector<std::string> lock_heads; ///< [n]: lock those of n topics, SKIP LOCKED
    };
    static statements build_statements(const connection& db, const outbox& box);
    std::int64_t now() const;
    std::vector<outbox_delivery> claim();
    const std::string& heads_sql(std::size_t topics);
    const std::string& lock_heads_sql(std::size_t topics);
    void wait_for_messages(std::uint64_t seen, bool listening, const std::stop_token& stop);
    void claim_rows(const std::vector<row>& rows, const std::map<std::int64_t, row>* lockable,
                    std::int64_t at, std::vector<outbox_delivery>& out);
    void finish(const outbox_delivery& m, const std::string* failure);
    void release(const outbox_delivery& m);

    connection& db_;
    const outbox& box_;
    outbox_options options_;
    std::string owner_;
    std::map<std::string, std::function<void(const outbox_delivery&)>, std::less<>> handlers_;
    statements sql_;
    bool row_locks_ = false;
    /// READ COMMITTED where claims lock rows with SKIP LOCKED (else SQLite's write lock).
    atomic_options claim_options_;
    std::atomic<std::uint64_t> sleeps_{0};
    std::jthread thread_; // last: stopped and joined before the members it uses go
};

} // namespace lockstep
