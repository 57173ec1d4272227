// The transactional outbox: writing messages in the caller's transaction, and delivering them
// (semantics 11).
// SPDX-License-Identifier: MIT
#include "lockstep/outbox.hpp"

#include "lockstep/atomic.hpp"
#include "lockstep/detail/connection_state.hpp"
#include "lockstep/log.hpp"
#include "lockstep/retry.hpp"
#include "lockstep/text_check.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <unistd.h>

namespace lockstep {

namespace {

constexpr std::size_t topic_characters = 200;
constexpr std::size_t key_characters = 200;
constexpr std::size_t error_characters = 1000;

std::int64_t system_milliseconds() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string to_hex(std::span<const std::byte> bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const auto b : bytes) {
        out += digits[std::to_integer<unsigned>(b) >> 4];
        out += digits[std::to_integer<unsigned>(b) & 0xf];
    }
    return out;
}

unsigned hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f')
        return static_cast<unsigned>(c - 'a' + 10);
    throw data_error("An outbox payload marked binary holds \"" + std::string(1, c) +
                     "\", which is not a hex digit; was the row changed by hand?");
}

/// At most `n` bytes of `text` as valid text: a character is never cut in two, and a handler's
/// message that is not UTF-8 keeps its ASCII (the rest becomes '?'), so storing it cannot fail.
std::string clip(std::string text, std::size_t n) {
    if (text.size() > n) {
        auto end = n;
        while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
            --end;
        text.resize(end);
    }
    if (!utf8_length(text) || text.find('\0') != std::string::npos)
        for (auto& c : text)
            if (static_cast<unsigned char>(c) >= 0x80 || c == '\0')
                c = '?';
    return text;
}

/// FNV-1a of `text`: stable across builds and processes.
std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t hash = 14695981039346656037ull;
    for (const unsigned char c : text)
        hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

/// A topic's row key: the same in every writer, and positive, as a key.
std::int64_t topic_key(std::string_view topic) {
    return static_cast<std::int64_t>(fnv1a(topic) >> 1);
}

/// `table` + `suffix`, or when that is longer than identifiers may be (63 bytes on PostgreSQL,
/// 64 on MariaDB) the table's start and a hash of the whole, so names stay distinct.
std::string derived_name(const std::string& table, std::string_view suffix) {
    if (table.size() + suffix.size() <= 63)
        return table + std::string(suffix);
    const auto hash = fnv1a(table);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = table.substr(0, 38) + "_";
    for (int shift = 60; shift >= 0; shift -= 4)
        out += digits[(hash >> shift) & 0xf];
    return out + std::string(suffix);
}

/// Locks `topic`'s row for the rest of `db`'s transaction, once per transaction (semantics 11.4).
/// A savepoint rolled back after the lock releases it on PostgreSQL (and takes the messages
/// written after it along), so its on_rollback hook lets the next message lock again.
void lock_topic(connection& db, const outbox& box, std::string_view topic, std::uint64_t serial) {
    if (box.topic_locked(db, serial, topic))
        return;
    db.execute(box.lock_topic_sql(db), topic_key(topic), topic);
    box.remember_topic(db, serial, topic);
    on_rollback(db, [&box, &db, kept = std::string(topic)] { box.forget_topic(db, kept); });
}

void write(connection& db, const outbox& box, std::string_view topic, std::string payload,
           bool binary, std::optional<std::string_view> idempotency_key) {
    if (topic.empty())
        throw usage_error("on_commit_durable needs a topic: the dispatcher finds the message's "
                          "handler by it.");
    if (!db.in_atomic_block()) {
        // Its own atomic unit, as a model write is (semantics 11.2): the topic's lock and the
        // message commit together, and the on_commit hook below wakes the dispatchers.
        atomic(db, [&] { write(db, box, topic, std::move(payload), binary, idempotency_key); });
        return;
    }
    const auto serial = detail::connection_access::transactions(db).transaction_serial();
    // Only engines with row locks need it: on SQLite one writer at a time commits in key order.
    if (box.orders_topics() && db.features().supports_concurrent_writers)
        lock_topic(db, box, topic, serial); // before the INSERT draws the message's key
    outbox_message m;
    m.topic = std::string(topic);
    m.payload = std::move(payload);
    m.binary = binary;
    if (idempotency_key)
        m.idempotency_key = std::string(*idempotency_key);
    m.state = static_cast<std::int64_t>(outbox_state::pending);
    m.created_at = system_milliseconds();
    m.available_at = m.created_at;
    // An ordinary model write: it joins the caller's transaction and its savepoints (11.2).
    db.add(box.messages(), m);
    // Once per transaction: PostgreSQL's NOTIFY (transactional: it reaches listeners when, and
    // only if, the message commits, semantics 11.9) and the on_commit hook that wakes this
    // process's dispatchers (semantics 11.7). A savepoint rolled back with the first message
    // takes both with it, so its on_rollback hook lets the next message send them again.
    if (!box.first_in_transaction(db, serial))
        return;
    if (box.notifies() && db.engine_name() == "postgresql")
        db.execute(box.notify_sql(db));
    on_commit(db, [&box, &db] {
        box.forget_transaction(db);
        box.notify_committed();
    });
    on_rollback(db, [&box, &db] { box.forget_first(db); });
}

/// Runs one statement outside a block again when the engine reports a conflict (SQLite busy, a
/// deadlock): such a statement did nothing, and a lost mark would mean a repeated delivery.
template <class Statement> void repeat_on_conflict(Statement&& statement) {
    auto wait = std::chrono::milliseconds(2);
    for (int attempt = 1;; ++attempt) {
        try {
            statement();
            return;
        } catch (const transaction_conflict&) {
            if (attempt >= 10) // about 2.5 s of waiting in all
                throw;
        }
        std::this_thread::sleep_for(wait);
        wait = std::min(wait * 2, std::chrono::milliseconds(500));
    }
}

std::string make_owner() {
    static std::atomic<std::uint64_t> next{0};
    return "dispatcher-" + std::to_string(::getpid()) + "-" + std::to_string(++next);
}

/// The columns that `statements::select_pending` and the claim's per-topic heads read, in order.
enum pending_column : std::size_t {
    id_column,
    topic_column,
    payload_column,
    binary_column,
    idempotency_key_column,
    attempts_column,
    available_at_column,
    lease_until_column,
};

/// Nobody holds a lease on the pending message `r` at `at` (semantics 11.6).
bool unleased(const row& r, std::int64_t at) {
    return as_integer(r.at(lease_until_column)) <= at;
}

/// The pending message `r` may be tried at `at`: its retry delay has passed (semantics 11.5).
bool due(const row& r, std::int64_t at) {
    return as_integer(r.at(available_at_column)) <= at;
}

} // namespace

outbox::outbox(std::string table_name, outbox_settings settings)
    : messages_(
          std::move(table_name),
          {primary_key(&outbox_message::id, "id"),
           column(&outbox_message::topic, "topic", max_length(topic_characters)),
           column(&outbox_message::payload, "payload"),
           column(&outbox_message::binary, "is_binary"),
           column(&outbox_message::idempotency_key, "idempotency_key", max_length(key_characters)),
           column(&outbox_message::state, "state"), column(&outbox_message::attempts, "attempts"),
           column(&outbox_message::created_at, "created_at"),
           column(&outbox_message::available_at, "available_at"),
           column(&outbox_message::lease_until, "lease_until"),
           column(&outbox_message::lease_owner, "lease_owner", max_length(100)),
           column(&outbox_message::last_error, "last_error", max_length(error_characters))}),
      settings_(settings),
      topics_(derived_name(messages_.name(), "_topics"),
              {primary_key(&outbox_topic::id, "id"),
               column(&outbox_topic::topic, "topic", max_length(topic_characters)),
               column(&outbox_topic::writes, "writes")}) {}

outbox::transaction_marks& outbox::marks_for(const connection& db, std::uint64_t serial) const {
    auto& marks = transactions_[&db];
    if (marks.serial != serial) // an entry from an earlier transaction whose hooks never ran
        marks = transaction_marks{.serial = serial, .first_written = false, .locked = {}};
    return marks;
}

void outbox::drop_if_empty(const connection& db) const {
    const auto it = transactions_.find(&db);
    if (it != transactions_.end() && !it->second.first_written && it->second.locked.empty())
        transactions_.erase(it);
}

bool outbox::first_in_transaction(const connection& db, std::uint64_t serial) const {
    const std::lock_guard lock(mutex_);
    auto& marks = marks_for(db, serial);
    if (marks.first_written)
        return false;
    marks.first_written = true;
    return true;
}

void outbox::forget_first(const connection& db) const {
    const std::lock_guard lock(mutex_);
    if (const auto it = transactions_.find(&db); it != transactions_.end())
        it->second.first_written = false;
    drop_if_empty(db);
}

bool outbox::topic_locked(const connection& db, std::uint64_t serial,
                          std::string_view topic) const {
    const std::lock_guard lock(mutex_);
    // A query: it creates no entry (an entry of an earlier transaction counts as none).
    const auto it = transactions_.find(&db);
    return it != transactions_.end() && it->second.serial == serial &&
           it->second.locked.contains(topic);
}

void outbox::remember_topic(const connection& db, std::uint64_t serial,
                            std::string_view topic) const {
    const std::lock_guard lock(mutex_);
    marks_for(db, serial).locked.emplace(topic);
}

void outbox::forget_topic(const connection& db, std::string_view topic) const {
    const std::lock_guard lock(mutex_);
    if (const auto it = transactions_.find(&db); it != transactions_.end())
        if (const auto found = it->second.locked.find(topic); found != it->second.locked.end())
            it->second.locked.erase(found);
    drop_if_empty(db);
}

void outbox::forget_transaction(const connection& db) const {
    const std::lock_guard lock(mutex_);
    transactions_.erase(&db);
}

std::string outbox::lock_topic_sql(const connection& db) const {
    const auto table = db.quote_identifier(topics_.name());
    const auto writes = db.quote_identifier("writes");
    const auto head = "INSERT INTO " + table + " (" + db.quote_identifier("id") + ", " +
                      db.quote_identifier("topic") + ", " + writes + ") VALUES (?, ?, 1)";
    // Both spellings lock the existing row exclusively at once (no shared lock to upgrade, so
    // two writers of a known topic queue up instead of deadlocking).
    if (db.engine_name() == "postgresql")
        return head + " ON CONFLICT (" + db.quote_identifier("id") + ") DO UPDATE SET " + writes +
               " = " + table + "." + writes + " + 1";
    return head + " ON DUPLICATE KEY UPDATE " + writes + " = " + writes + " + 1";
}

std::string outbox::notify_sql(const connection& db) const {
    return "NOTIFY " + db.quote_identifier(messages_.name());
}

void outbox::notify_committed() const {
    {
        const std::lock_guard lock(mutex_);
        ++commits_;
    }
    committed_.notify_all();
}

std::uint64_t outbox::commits() const {
    const std::lock_guard lock(mutex_);
    return commits_;
}

std::uint64_t outbox::wait_for_commit(std::uint64_t seen, std::chrono::milliseconds timeout,
                                      std::stop_token stop) const {
    std::unique_lock lock(mutex_);
    committed_.wait_for(lock, stop, timeout, [&] { return commits_ != seen; });
    return commits_;
}

std::string outbox::index_name() const {
    return derived_name(messages_.name(), "_pending");
}

void create_outbox(connection& db, const outbox& box) {
    db.create_tables(box.messages(), box.topics());
    // A claim reads each handled topic's first pending messages in key order: with this index
    // that costs the same however many delivered rows the table keeps, and however long another
    // topic's queue is (semantics 11.8).
    db.execute("CREATE INDEX " + db.quote_identifier(box.index_name()) + " ON " +
               db.quote_identifier(box.messages().name()) + " (" + db.quote_identifier("state") +
               ", " + db.quote_identifier("topic") + ", " + db.quote_identifier("id") + ")");
}

void drop_outbox(connection& db, const outbox& box) {
    db.drop_tables(box.messages(), box.topics());
}

void on_commit_durable(connection& db, const outbox& box, std::string_view topic,
                       std::string_view payload, std::optional<std::string_view> idempotency_key) {
    write(db, box, topic, std::string(payload), false, idempotency_key);
}

void on_commit_durable(connection& db, const outbox& box, std::string_view topic,
                       std::span<const std::byte> payload,
                       std::optional<std::string_view> idempotency_key) {
    write(db, box, topic, to_hex(payload), true, idempotency_key);
}

blob outbox_delivery::bytes() const {
    if (!binary)
        return blob(reinterpret_cast<const std::byte*>(payload.data()),
                    reinterpret_cast<const std::byte*>(payload.data()) + payload.size());
    if (payload.size() % 2 != 0)
        throw data_error("An outbox payload marked binary has an odd number of hex digits; was "
                         "the row changed by hand?");
    blob out(payload.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] =
            static_cast<std::byte>(hex_digit(payload[2 * i]) << 4 | hex_digit(payload[2 * i + 1]));
    return out;
}

outbox_dispatcher::statements outbox_dispatcher::build_statements(const connection& db,
                                                                  const outbox& box) {
    const auto q = [&](std::string_view column) { return db.quote_identifier(column); };
    const auto table = db.quote_identifier(box.messages().name());
    const auto mine = " WHERE " + q("id") + " = ? AND " + q("lease_owner") + " = ?";
    const auto clear_lease = q("lease_until") + " = 0, " + q("lease_owner") + " = NULL";
    statements sql;
    sql.select_pending = "SELECT " + q("id") + ", " + q("topic") + ", " + q("payload") + ", " +
                         q("is_binary") + ", " + q("idempotency_key") + ", " + q("attempts") +
                         ", " + q("available_at") + ", " + q("lease_until") + " FROM " + table +
                         " WHERE " + q("state") + " = ?";
    sql.id = q("id");
    sql.topic = q("topic");
    sql.order_by_id = " ORDER BY " + q("id");
    if (!db.features().supports_select_for_update) {
        // SQLite: a write that matches nothing takes the single write lock first, waiting for it
        // as long as busy_timeout allows. A claim that read first and then wrote would fail at
        // once whenever anyone committed in between, which a busy outbox does all the time.
        sql.take_write_lock = "UPDATE " + table + " SET " + q("state") + " = " + q("state") +
                              " WHERE " + q("id") + " < ? AND " + q("id") + " > ?";
    }
    const auto free =
        " WHERE " + q("id") + " = ? AND " + q("state") + " = ? AND " + q("lease_until") + " <= ?";
    // A claim counts as an attempt: one whose outcome is never recorded still counts (11.5).
    sql.claim = "UPDATE " + table + " SET " + q("lease_until") + " = ?, " + q("lease_owner") +
                " = ?, " + q("attempts") + " = " + q("attempts") + " + 1" + free;
    sql.abandon = "UPDATE " + table + " SET " + q("state") + " = ?, " + q("last_error") + " = ?, " +
                  clear_lease + free;
    sql.delivered = "UPDATE " + table + " SET " + q("state") + " = ?, " + q("attempts") + " = ?, " +
                    clear_lease + mine;
    sql.failed = "UPDATE " + table + " SET " + q("state") + " = ?, " + q("attempts") + " = ?, " +
                 q("available_at") + " = ?, " + q("last_error") + " = ?, " + clear_lease + mine;
    sql.release = "UPDATE " + table + " SET " + q("attempts") + " = ?, " + clear_lease + mine;
    sql.dead = "SELECT " + q("id") + ", " + q("topic") + ", " + q("payload") + ", " +
               q("is_binary") + ", " + q("idempotency_key") + ", " + q("attempts") + ", " +
               q("created_at") + ", " + q("last_error") + " FROM " + table + " WHERE " +
               q("state") + " = ? ORDER BY " + q("id");
    return sql;
}

outbox_dispatcher::outbox_dispatcher(connection& db, const outbox& box, outbox_options options)
    : db_(db), box_(box), options_(std::move(options)), owner_(make_owner()) {
    if (options_.max_attempts < 1)
        throw usage_error("outbox_options::max_attempts must be at least 1.");
    if (options_.batch == 0)
        throw usage_error("outbox_options::batch must be at least 1.");
    if (!options_.clock)
        options_.clock = system_milliseconds;
    sql_ = build_statements(db, box); // once: the same texts on every dispatch
    row_locks_ = db.features().supports_select_for_update;
    // READ COMMITTED where rows are locked: InnoDB's REPEATABLE READ would also lock the gaps
    // of the range the claim reads, the end of the table included, so writers' new messages
    // would wait for the claim to commit (semantics 11.6).
    if (row_locks_)
        claim_options_.isolation = isolation_level::read_committed;
}

void outbox_dispatcher::handle(std::string topic,
                               std::function<void(const outbox_delivery&)> handler) {
    if (!handler)
        throw usage_error("outbox_dispatcher::handle needs a handler for topic \"" + topic + "\".");
    handlers_[std::move(topic)] = std::move(handler);
}

std::int64_t outbox_dispatcher::now() const {
    return options_.clock();
}

std::vector<outbox_delivery> outbox_dispatcher::claim() {
    if (db_.in_atomic_block())
        throw usage_error("outbox_dispatcher uses short transactions of its own; call "
                          "dispatch_once outside any atomic block, on a connection of its own.");
    std::vector<outbox_delivery> out;
    const auto at = now();
    constexpr auto pending = static_cast<std::int64_t>(outbox_state::pending);
    if (handlers_.empty())
        return out;
    // A conflict with another dispatcher's claim (SQLite busy, a deadlock) is tried again.
    retry(
        db_,
        [&] {
            out.clear();
            if (!row_locks_) {
                constexpr auto lowest = std::numeric_limits<std::int64_t>::min();
                db_.execute(sql_.take_write_lock, lowest, lowest);
            }
            // The first `batch` pending messages of each topic handled here, through the
            // (state, topic, id) index: a topic that cannot go now costs one batch however long
            // its queue, and topics nobody here handles are not read at all (semantics 11.8).
            std::vector<param> params;
            params.reserve(2 * handlers_.size());
            for (const auto& handled : handlers_) {
                params.emplace_back(pending);
                params.emplace_back(std::string_view(handled.first));
            }
            auto rows = db_.query_params(heads_sql(handlers_.size()), params);
            // Oldest first across topics; each topic's messages are in key order already.
            std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
                return as_integer(a.at(id_column)) < as_integer(b.at(id_column));
            });
            // Up to `batch` candidates, oldest first: a message that was leased or not due when
            // read holds back its topic already (the locked row decides for the rest).
            std::vector<row> candidates;
            candidates.reserve(options_.batch);
            std::set<std::string_view> blocked;
            for (auto& r : rows) {
                if (candidates.size() == options_.batch)
                    break;
                const std::string_view topic = as_text(r.at(topic_column));
                if (blocked.contains(topic))
                    continue;
                const bool spent = as_integer(r.at(attempts_column)) >= options_.max_attempts;
                if (!unleased(r, at) || !(due(r, at) || spent)) {
                    blocked.insert(topic);
                    continue;
                }
                candidates.push_back(std::move(r));
            }
            if (!row_locks_ || candidates.empty()) {
                claim_rows(candidates, nullptr, at, out);
                return;
            }
            // Lock the candidates nobody else is claiming right now, skipping the rest: a
            // message another dispatcher is claiming holds back its topic as a lease would
            // (semantics 11.4, 11.6). Per topic, up to its last candidate's key.
            std::map<std::string_view, std::int64_t> last_read;
            for (const auto& r : candidates)
                last_read[as_text(r.at(topic_column))] = as_integer(r.at(id_column)); // key order
            std::vector<param> bounds{pending};
            for (const auto& [topic, last] : last_read) {
                bounds.emplace_back(topic);
                bounds.emplace_back(last);
            }
            std::map<std::int64_t, row> lockable;
            for (auto& r : db_.query_params(lock_heads_sql(last_read.size()), bounds))
                lockable.emplace(as_integer(r.at(id_column)), std::move(r));
            claim_rows(candidates, &lockable, at, out);
        },
        8, claim_options_);
    return out;
}

const std::string& outbox_dispatcher::heads_sql(std::size_t topics) {
    // One text per number of topics, built once: statement caches keep them prepared.
    while (sql_.heads.size() <= topics) {
        const auto n = sql_.heads.size();
        std::string text;
        for (std::size_t i = 0; i < n; ++i) // a LIMIT per topic needs a subquery per topic
            text += (i ? " UNION ALL SELECT * FROM (" : "SELECT * FROM (") + sql_.select_pending +
                    " AND " + sql_.topic + " = ?" + sql_.order_by_id + " LIMIT " +
                    std::to_string(options_.batch) + ") AS h" + std::to_string(i);
        sql_.heads.push_back(std::move(text));
    }
    return sql_.heads[topics];
}

const std::string& outbox_dispatcher::lock_heads_sql(std::size_t topics) {
    while (sql_.lock_heads.size() <= topics) {
        const auto n = sql_.lock_heads.size();
        std::string text = sql_.select_pending + " AND (";
        for (std::size_t i = 0; i < n; ++i)
            text += (i ? " OR (" : "(") + sql_.topic + " = ? AND " + sql_.id + " <= ?)";
        sql_.lock_heads.push_back(text + ")" + sql_.order_by_id + " FOR UPDATE SKIP LOCKED");
    }
    return sql_.lock_heads[topics];
}

void outbox_dispatcher::claim_rows(const std::vector<row>& rows,
                                   const std::map<std::int64_t, row>* lockable, std::int64_t at,
                                   std::vector<outbox_delivery>& out) {
    constexpr auto pending = static_cast<std::int64_t>(outbox_state::pending);
    // Per topic only a prefix can go: one message that cannot (not due, claimed elsewhere, no
    // longer pending) holds back the topic's later ones (semantics 11.4).
    std::set<std::string, std::less<>> held_back;
    for (const auto& read : rows) {
        if (out.size() == options_.batch)
            return;
        const auto& topic = as_text(read.at(topic_column));
        if (held_back.contains(topic))
            continue;
        // With row locks, decide on the row as locked: it is the latest committed version.
        const row* current = &read;
        if (lockable) {
            const auto locked = lockable->find(as_integer(read.at(id_column)));
            if (locked == lockable->end()) {
                held_back.insert(topic);
                continue;
            }
            current = &locked->second;
        }
        const auto& r = *current;
        const auto attempts = as_integer(r.at(attempts_column));
        if (attempts >= options_.max_attempts && unleased(r, at) && handlers_.contains(topic)) {
            // Pending after its last attempt: every attempt left no outcome, so the dispatcher
            // stopped during each (a handler that kills the process?). Park it (semantics 11.5).
            const auto parked = db_.execute(
                sql_.abandon, static_cast<std::int64_t>(outbox_state::dead),
                "claimed " + std::to_string(attempts) +
                    " times and never finished: each time the dispatcher stopped (killed, crashed "
                    "or cut off) before it recorded the outcome; parked after max_attempts",
                as_integer(r.at(id_column)), pending, at);
            if (parked != 1)
                held_back.insert(topic);
            continue; // a dead message no longer holds back its topic
        }
        // The lease is taken only if nobody took it since the read (semantics 11.6).
        if (!due(r, at) || !unleased(r, at) || !handlers_.contains(topic) ||
            db_.execute(sql_.claim, at + options_.lease.count(), owner_,
                        as_integer(r.at(id_column)), pending, at) != 1) {
            held_back.insert(topic);
            continue;
        }
        outbox_delivery d;
        d.id = as_integer(r.at(id_column));
        d.topic = topic;
        d.payload = as_text(r.at(payload_column));
        d.binary = as_bool(r.at(binary_column));
        if (!is_null(r.at(idempotency_key_column)))
            d.idempotency_key = as_text(r.at(idempotency_key_column));
        d.attempt = attempts + 1;
        out.push_back(std::move(d));
    }
}

void outbox_dispatcher::finish(const outbox_delivery& m, const std::string* failure) {
    if (failure == nullptr) {
        repeat_on_conflict([&] {
            db_.execute(sql_.delivered, static_cast<std::int64_t>(outbox_state::delivered),
                        m.attempt, m.id, owner_);
        });
        return;
    }
    const bool dead = m.attempt >= options_.max_attempts;
    // 2^(attempt-1) times the first delay, capped; shifts stay small enough not to overflow.
    const auto shift = std::min<std::int64_t>(m.attempt - 1, 30);
    const auto delay =
        std::min(options_.first_retry_delay.count() << shift, options_.max_retry_delay.count());
    const auto error = clip(*failure, error_characters);
    repeat_on_conflict([&] {
        db_.execute(sql_.failed,
                    static_cast<std::int64_t>(dead ? outbox_state::dead : outbox_state::pending),
                    m.attempt, now() + delay, error, m.id, owner_);
    });
}

void outbox_dispatcher::release(const outbox_delivery& m) {
    // Not delivered after all: the claim's attempt is given back.
    repeat_on_conflict([&] { db_.execute(sql_.release, m.attempt - 1, m.id, owner_); });
}

std::size_t outbox_dispatcher::dispatch_once() {
    const auto batch = claim();
    std::size_t delivered = 0;
    std::set<std::string, std::less<>> failed_topics;
    for (const auto& m : batch) {
        if (failed_topics.contains(m.topic)) {
            release(m); // a later message waits for the earlier one's retry (semantics 11.4)
            continue;
        }
        std::optional<std::string> failure;
        try {
            handlers_.find(m.topic)->second(m);
        } catch (const std::exception& e) {
            failure = e.what();
        } catch (...) {
            failure = "a handler threw something that is not a std::exception";
        }
        // Marked in a short transaction of its own (one statement). If the process dies before
        // this, the lease runs out and the message is delivered again (semantics 11.3).
        finish(m, failure ? &*failure : nullptr);
        if (failure)
            failed_topics.insert(m.topic);
        else
            ++delivered;
    }
    return delivered;
}

void outbox_dispatcher::start() {
    if (thread_.joinable())
        throw usage_error("This outbox_dispatcher is running already; stop() it first.");
    thread_ = std::jthread([this](std::stop_token stop) { run(std::move(stop)); });
}

void outbox_dispatcher::stop() {
    if (!thread_.joinable())
        return;
    thread_.request_stop();
    thread_.join();
}

outbox_dispatcher::~outbox_dispatcher() {
    stop();
}

void outbox_dispatcher::run(std::stop_token stop) {
    // With outbox_settings::notify on a native PostgreSQL connection, wait on LISTEN as well as
    // on this process's commits (semantics 11.9).
    const bool notified = box_.notifies() && db_.can_wait_for_notifications();
    bool listening = false;
    while (!stop.stop_requested()) {
        // Read the count before dispatching: a commit during the dispatch then ends the wait
        // below at once instead of being missed (semantics 11.7).
        const auto seen = box_.commits();
        try {
            if (notified && !listening) {
                // Before the dispatch: a message committed after it reads still notifies us.
                db_.execute("LISTEN " + db_.quote_identifier(box_.messages().name()));
                listening = true;
            }
            if (dispatch_once() == 0) {
                ++sleeps_;
                wait_for_messages(seen, listening, stop);
            }
        } catch (const std::exception& e) {
            listening = false;
            if (options_.on_error) {
                try {
                    options_.on_error(e);
                } catch (...) {
                    // The host's error callback must not end the thread.
                }
            } else {
                log(log_level::error, std::string("outbox dispatcher ") + owner_ +
                                          ": a dispatch failed, trying again in " +
                                          std::to_string(options_.poll_interval.count()) +
                                          " ms: " + e.what());
            }
            // Pause for poll_interval, or less if stop is requested: nothing else ends it.
            std::mutex pause;
            std::condition_variable_any never;
            std::unique_lock lock(pause);
            never.wait_for(lock, stop, options_.poll_interval, [] { return false; });
        }
    }
}

void outbox_dispatcher::wait_for_messages(std::uint64_t seen, bool listening,
                                          const std::stop_token& stop) {
    if (!listening) {
        box_.wait_for_commit(seen, options_.poll_interval, stop);
        return;
    }
    // The socket and this process's commits at once: short waits on the socket, checking the
    // commit count and the stop request in between (each at most 50 ms late).
    const auto deadline = std::chrono::steady_clock::now() + options_.poll_interval;
    while (!stop.stop_requested() && box_.commits() == seen) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 ||
            db_.wait_for_notification(std::min(left, std::chrono::milliseconds(50))))
            return;
    }
}

std::vector<outbox_message> outbox_dispatcher::dead_messages() {
    const auto rows = db_.query(sql_.dead, static_cast<std::int64_t>(outbox_state::dead));
    std::vector<outbox_message> out;
    for (const auto& r : rows) {
        outbox_message m;
        m.id = as_integer(r.at(0));
        m.topic = as_text(r.at(1));
        m.payload = as_text(r.at(2));
        m.binary = as_bool(r.at(3));
        if (!is_null(r.at(4)))
            m.idempotency_key = as_text(r.at(4));
        m.state = static_cast<std::int64_t>(outbox_state::dead);
        m.attempts = as_integer(r.at(5));
        m.created_at = as_integer(r.at(6));
        if (!is_null(r.at(7)))
            m.last_error = as_text(r.at(7));
        out.push_back(std::move(m));
    }
    return out;
}

} // namespace lockstep
