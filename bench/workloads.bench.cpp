// The workload benchmark of issue 7: the same SQL work through the raw driver, Lockstep's model
// layer (with a real post_save receiver), Lockstep's plain SQL, and SOCI, in one process,
// interleaved round by round, each run verified by counting rows. Not a test: it asserts nothing
// about time.
// SPDX-License-Identifier: MIT
#include "bulk.hpp"
#include "contention.hpp"
#include "growth.hpp"
#include "lockstep/builtin.hpp"
#include "lockstep/lockstep.hpp"
#include "outbox.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cppconn/prepared_statement.h>
#include <cppconn/resultset.h>
#include <cppconn/statement.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <exception>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <libpq-fe.h>
#include <malloc.h>
#include <mariadb/mysql.h>
#include <memory>
#include <mutex>
#include <mysql_connection.h>
#include <mysql_driver.h>
#include <new>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <sched.h>
#include <soci/soci.h>
#include <sqlite3.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

// Counting allocator: how many heap allocations each variant makes per operation. (GCC cannot
// see that this operator new and operator delete pair malloc with free, hence the pragma.)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<std::uint64_t> allocations{0};
}
void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

using clock_type = std::chrono::steady_clock;

struct workload {
    std::string name;
    int transactions;
    int ops_per_transaction;
    enum class shape { plain, savepoint_release, savepoint_rollback, rollback_all } kind;
    long expected_rows() const {
        return kind == shape::plain || kind == shape::savepoint_release
                   ? static_cast<long>(transactions) * ops_per_transaction
                   : 0;
    }
    long ops() const { return static_cast<long>(transactions) * ops_per_transaction; }
};

/// --interleave: one round's variants take turns on the CPU, a slice of ops at a time, each on
/// a database file of its own, so that a neighbour on the host that slows this VM for some
/// milliseconds slows every variant's slices alike instead of one variant's whole run. Each
/// variant runs on its own thread; only the one holding the baton runs.
class baton {
public:
    /// `order`: the variants' indexes in the round's run order.
    explicit baton(std::vector<std::size_t> order) : order_(std::move(order)) {
        finished_.assign(order_.size(), false);
    }
    void wait_turn(std::size_t variant) {
        std::unique_lock lock(mutex_);
        turn_changed_.wait(lock, [&] { return order_[at_] == variant; });
    }
    /// Hands the CPU to the next variant in the order that has not finished.
    void pass(bool finished) {
        {
            const std::lock_guard lock(mutex_);
            if (finished)
                finished_[at_] = true;
            for (std::size_t step = 1; step <= order_.size(); ++step) {
                const auto next = (at_ + step) % order_.size();
                if (!finished_[next]) {
                    at_ = next;
                    break;
                }
            }
        }
        turn_changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable turn_changed_;
    std::vector<std::size_t> order_;
    std::vector<bool> finished_;
    std::size_t at_ = 0; // position in order_ of the variant that holds the baton
};

/// A variant's thread in an interleaved round: counts its ops, yields every `ops_per_slice`,
/// and sums the time, CPU time and allocations of its own slices only.
class slicer {
public:
    slicer(baton& b, std::size_t variant, int ops_per_slice)
        : baton_(b), variant_(variant), ops_per_slice_(ops_per_slice) {}
    void resume() {
        baton_.wait_turn(variant_);
        allocs_at_ = allocations.load();
        cpu_at_ = thread_cpu_us();
        at_ = std::chrono::steady_clock::now();
    }
    void pause() {
        wall_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - at_)
                       .count();
        cpu_us += thread_cpu_us() - cpu_at_;
        allocs += allocations.load() - allocs_at_;
    }
    void op_done() {
        if (++ops_ < ops_per_slice_)
            return;
        ops_ = 0;
        pause();
        baton_.pass(false);
        resume();
    }
    void finish() {
        pause();
        baton_.pass(true);
    }
    double wall_us = 0, cpu_us = 0;
    std::uint64_t allocs = 0;

private:
    static double thread_cpu_us() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return 1e6 * static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e3;
    }
    baton& baton_;
    std::size_t variant_;
    int ops_per_slice_, ops_ = 0;
    std::chrono::steady_clock::time_point at_;
    double cpu_at_ = 0;
    std::uint64_t allocs_at_ = 0;
};

thread_local slicer* current_slicer = nullptr;

/// Called by every variant after each op: one predictable test unless --interleave is on.
inline void slice_point() {
    if (current_slicer != nullptr) [[unlikely]]
        current_slicer->op_done();
}

// The names every variant uses for the two tables (created fresh before each run).
const std::string main_table = "bench_main";
const std::string child_table = "bench_sig";

/// One way of doing the work: opens its connection once, runs workloads on demand.
class variant {
public:
    virtual ~variant() = default;
    virtual std::string name() const = 0;
    virtual void run(const workload& w) = 0;
    /// The server process or thread serving this variant's connection, for --pin (0: none).
    virtual long server_pid() { return 0; }
};

/// Variants that offer the transaction primitives run every workload the same way.
class primitive_variant : public variant {
public:
    void run(const workload& w) override {
        for (int t = 0; t < w.transactions; ++t) {
            begin();
            for (int i = 0; i < w.ops_per_transaction; ++i) {
                switch (w.kind) {
                case workload::shape::savepoint_release:
                    savepoint();
                    op();
                    release();
                    break;
                case workload::shape::savepoint_rollback:
                    // ROLLBACK TO keeps the savepoint; RELEASE ends it, as Lockstep does.
                    savepoint();
                    op();
                    rollback_to();
                    release();
                    break;
                default:
                    op();
                }
                slice_point();
            }
            if (w.kind == workload::shape::rollback_all)
                rollback();
            else
                commit();
        }
    }

protected:
    virtual void begin() = 0;
    virtual void commit() = 0;
    virtual void rollback() = 0;
    virtual void savepoint() = 0;
    virtual void release() = 0;
    virtual void rollback_to() = 0;
    /// Inserts a parent, reads its key, inserts a child that points to it.
    virtual void op() = 0;
};

/// Raw variants whose transaction primitives are plain SQL text, run by `exec`.
class sql_text_variant : public primitive_variant {
protected:
    explicit sql_text_variant(const char* begin_sql) : begin_sql_(begin_sql) {}
    /// Runs one statement without parameters.
    virtual void exec(const char* sql) = 0;

private:
    void begin() override { exec(begin_sql_); }
    void commit() override { exec("COMMIT"); }
    void rollback() override { exec("ROLLBACK"); }
    void savepoint() override { exec("SAVEPOINT s"); }
    void release() override { exec("RELEASE SAVEPOINT s"); }
    void rollback_to() override { exec("ROLLBACK TO SAVEPOINT s"); }
    const char* begin_sql_; // BEGIN, or START TRANSACTION on MySQL
};

// ---- raw SQLite C API ----
class raw_sqlite final : public primitive_variant {
public:
    explicit raw_sqlite(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK)
            throw std::runtime_error("raw sqlite: cannot open " + path);
        exec("PRAGMA foreign_keys = ON");
        sqlite3_busy_timeout(db_, 5000);
        parent_ = prepare("INSERT INTO \"" + main_table + "\" (\"name\") VALUES (?)");
        child_ =
            prepare("INSERT INTO \"" + child_table + "\" (\"main_id\", \"message\") VALUES (?, ?)");
        // Prepared once and held directly: no lookup per transaction or savepoint.
        for (std::size_t i = 0; i < control_text.size(); ++i)
            control_[i] = prepare(control_text[i]);
    }
    ~raw_sqlite() override {
        for (auto* st : control_)
            sqlite3_finalize(st);
        sqlite3_finalize(parent_);
        sqlite3_finalize(child_);
        sqlite3_close_v2(db_);
    }
    std::string name() const override { return "raw"; }

private:
    sqlite3_stmt* prepare(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
            SQLITE_OK)
            throw std::runtime_error(std::string("raw sqlite: ") + sqlite3_errmsg(db_));
        return st;
    }
    void step(sqlite3_stmt* st) {
        if (sqlite3_step(st) != SQLITE_DONE)
            throw std::runtime_error(std::string("raw sqlite: ") + sqlite3_errmsg(db_));
        sqlite3_reset(st);
    }
    void exec(const char* sql) { sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); }
    void begin() override { step(control_[0]); }
    void commit() override { step(control_[1]); }
    void rollback() override { step(control_[2]); }
    void savepoint() override { step(control_[3]); }
    void release() override { step(control_[4]); }
    void rollback_to() override { step(control_[5]); }
    void op() override {
        sqlite3_bind_text(parent_, 1, "parent", 6, SQLITE_STATIC);
        step(parent_);
        const auto key = sqlite3_last_insert_rowid(db_);
        sqlite3_bind_int64(child_, 1, key);
        sqlite3_bind_text(child_, 2, "child", 5, SQLITE_STATIC);
        step(child_);
    }
    sqlite3* db_ = nullptr;
    sqlite3_stmt* parent_ = nullptr;
    sqlite3_stmt* child_ = nullptr;
    static constexpr std::array<const char*, 6> control_text{"BEGIN",
                                                             "COMMIT",
                                                             "ROLLBACK",
                                                             "SAVEPOINT s",
                                                             "RELEASE SAVEPOINT s",
                                                             "ROLLBACK TO SAVEPOINT s"};
    std::array<sqlite3_stmt*, 6> control_{};
};

// ---- raw libpq ----
class raw_postgresql final : public sql_text_variant {
public:
    explicit raw_postgresql(const lockstep::connection_url& url) : sql_text_variant("BEGIN") {
        std::string conninfo =
            "host=" + url.host + " port=" + std::to_string(url.port.value_or(5432)) +
            " dbname=" + url.database + " user=" + url.user + " password=" + url.password;
        conn_ = PQconnectdb(conninfo.c_str());
        if (PQstatus(conn_) != CONNECTION_OK)
            throw std::runtime_error(std::string("raw libpq: ") + PQerrorMessage(conn_));
        check(PQprepare(
            conn_, "parent",
            ("INSERT INTO \"" + main_table + "\" (\"name\") VALUES ($1) RETURNING \"id\"").c_str(),
            1, nullptr));
        check(PQprepare(
            conn_, "child",
            ("INSERT INTO \"" + child_table + "\" (\"main_id\", \"message\") VALUES ($1, $2)")
                .c_str(),
            2, nullptr));
    }
    ~raw_postgresql() override { PQfinish(conn_); }
    std::string name() const override { return "raw"; }
    long server_pid() override { return PQbackendPID(conn_); }

private:
    void check(PGresult* r) {
        const auto status = PQresultStatus(r);
        PQclear(r);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            throw std::runtime_error(std::string("raw libpq: ") + PQerrorMessage(conn_));
    }
    void exec(const char* sql) override { check(PQexec(conn_, sql)); }
    void op() override {
        const char* parent_values[] = {"parent"};
        PGresult* r = PQexecPrepared(conn_, "parent", 1, parent_values, nullptr, nullptr, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            throw std::runtime_error(std::string("raw libpq: ") + PQerrorMessage(conn_));
        char key[32];
        std::snprintf(key, sizeof key, "%s", PQgetvalue(r, 0, 0));
        PQclear(r);
        const char* child_values[] = {key, "child"};
        check(PQexecPrepared(conn_, "child", 2, child_values, nullptr, nullptr, 0));
    }
    PGconn* conn_ = nullptr;
};

// ---- raw MySQL Connector/C++ ----
class raw_connector final : public sql_text_variant {
public:
    raw_connector(const lockstep::connection_url& url, bool returning)
        : sql_text_variant("START TRANSACTION"), returning_(returning) {
        sql::ConnectOptionsMap options;
        options["hostName"] =
            sql::SQLString("tcp://" + url.host + ":" + std::to_string(url.port.value_or(3306)));
        options["userName"] = sql::SQLString(url.user);
        options["password"] = sql::SQLString(url.password);
        options["schema"] = sql::SQLString(url.database);
        options["OPT_RECONNECT"] = false;
        conn_.reset(sql::mysql::get_mysql_driver_instance()->connect(options));
        control_.reset(conn_->createStatement());
        parent_.reset(conn_->prepareStatement("INSERT INTO `" + main_table +
                                              "` (`name`) VALUES (?)" +
                                              (returning ? " RETURNING `id`" : "")));
        child_.reset(conn_->prepareStatement("INSERT INTO `" + child_table +
                                             "` (`main_id`, `message`) VALUES (?, ?)"));
        last_id_.reset(conn_->prepareStatement("SELECT LAST_INSERT_ID()"));
    }
    std::string name() const override { return "raw"; }

private:
    void exec(const char* sql) override { control_->execute(sql); }
    void op() override {
        parent_->setString(1, "parent");
        std::int64_t key = 0;
        if (returning_) {
            std::unique_ptr<sql::ResultSet> r(parent_->executeQuery());
            r->next();
            key = r->getInt64(1);
        } else {
            parent_->executeUpdate();
            std::unique_ptr<sql::ResultSet> r(last_id_->executeQuery());
            r->next();
            key = r->getInt64(1);
        }
        child_->setInt64(1, key);
        child_->setString(2, "child");
        child_->executeUpdate();
    }
    bool returning_;
    std::unique_ptr<sql::Connection> conn_;
    std::unique_ptr<sql::Statement> control_;
    std::unique_ptr<sql::PreparedStatement> parent_, child_, last_id_;
};

// ---- raw MariaDB C API (libmariadb): the physical limit for MariaDB ----
class raw_mariadb final : public sql_text_variant {
public:
    explicit raw_mariadb(const lockstep::connection_url& url)
        : sql_text_variant("START TRANSACTION") {
        conn_ = mysql_init(nullptr);
        if (!mysql_real_connect(conn_, url.host.c_str(), url.user.c_str(), url.password.c_str(),
                                url.database.c_str(), url.port.value_or(3306), nullptr, 0))
            fail("connect");
        parent_ = prepare("INSERT INTO `" + main_table + "` (`name`) VALUES (?)");
        child_ = prepare("INSERT INTO `" + child_table + "` (`main_id`, `message`) VALUES (?, ?)");
        // Bound once by address: the buffers below are rewritten before each execute.
        MYSQL_BIND parent_binds[1]{};
        parent_binds[0].buffer_type = MYSQL_TYPE_STRING;
        parent_binds[0].buffer = const_cast<char*>(parent_text);
        parent_binds[0].buffer_length = parent_length;
        parent_binds[0].length = &parent_length;
        if (mysql_stmt_bind_param(parent_, parent_binds))
            fail("bind");
        MYSQL_BIND child_binds[2]{};
        child_binds[0].buffer_type = MYSQL_TYPE_LONGLONG;
        child_binds[0].buffer = &key_;
        child_binds[1].buffer_type = MYSQL_TYPE_STRING;
        child_binds[1].buffer = const_cast<char*>(child_text);
        child_binds[1].buffer_length = child_length;
        child_binds[1].length = &child_length;
        if (mysql_stmt_bind_param(child_, child_binds))
            fail("bind");
    }
    ~raw_mariadb() override {
        mysql_stmt_close(parent_);
        mysql_stmt_close(child_);
        mysql_close(conn_);
    }
    std::string name() const override { return "capi"; }

private:
    [[noreturn]] void fail(const char* what) {
        throw std::runtime_error(std::string("raw MariaDB C API, ") + what + ": " +
                                 mysql_error(conn_));
    }
    MYSQL_STMT* prepare(const std::string& sql) {
        MYSQL_STMT* st = mysql_stmt_init(conn_);
        if (!st || mysql_stmt_prepare(st, sql.c_str(), sql.size()))
            fail("prepare");
        return st;
    }
    void exec(const char* sql) override {
        if (mysql_real_query(conn_, sql, std::strlen(sql)))
            fail(sql);
    }
    void op() override {
        // The generated key comes back in the OK packet: no RETURNING, no second query.
        if (mysql_stmt_execute(parent_))
            fail("insert parent");
        key_ = static_cast<long long>(mysql_stmt_insert_id(parent_));
        if (mysql_stmt_execute(child_))
            fail("insert child");
    }
    static constexpr const char* parent_text = "parent";
    static constexpr const char* child_text = "child";
    unsigned long parent_length = 6, child_length = 5;
    long long key_ = 0;
    MYSQL* conn_ = nullptr;
    MYSQL_STMT* parent_ = nullptr;
    MYSQL_STMT* child_ = nullptr;
};

// ---- SOCI, the same SQL with statements prepared once ----
class soci_variant final : public primitive_variant {
public:
    soci_variant(const std::string& backend, const std::string& connect, const std::string& family)
        : sql_(backend, connect), family_(family), parent_(sql_), child_(sql_), savepoint_(sql_),
          release_(sql_), rollback_to_(sql_) {
        const auto q = family == "mysql" ? std::string("`") : std::string("\"");
        if (family == "sqlite")
            sql_ << "PRAGMA foreign_keys = ON";
        parent_.exchange(soci::use(name_));
        if (family == "postgresql") {
            parent_.exchange(soci::into(key_));
            prepare(parent_, "INSERT INTO " + q + main_table + q + " (" + q + "name" + q +
                                 ") VALUES (:n) RETURNING " + q + "id" + q);
        } else {
            prepare(parent_,
                    "INSERT INTO " + q + main_table + q + " (" + q + "name" + q + ") VALUES (:n)");
        }
        child_.exchange(soci::use(key_));
        child_.exchange(soci::use(message_));
        prepare(child_, "INSERT INTO " + q + child_table + q + " (" + q + "main_id" + q + ", " + q +
                            "message" + q + ") VALUES (:k, :m)");
        // Prepared once, like the inserts (SOCI would otherwise parse them afresh every time).
        prepare(savepoint_, "SAVEPOINT s");
        prepare(release_, "RELEASE SAVEPOINT s");
        prepare(rollback_to_, "ROLLBACK TO SAVEPOINT s");
    }
    std::string name() const override { return "soci"; }
    /// PostgreSQL's backend serving this session, so that --pin pins it like the others'.
    long server_pid() override {
        if (family_ != "postgresql")
            return 0;
        int pid = 0;
        soci::statement query(sql_);
        query.exchange(soci::into(pid));
        prepare(query, "SELECT pg_backend_pid()");
        query.execute(true);
        return pid;
    }

private:
    void begin() override { sql_.begin(); }
    void commit() override { sql_.commit(); }
    void rollback() override { sql_.rollback(); }
    void savepoint() override { savepoint_.execute(true); }
    void release() override { release_.execute(true); }
    void rollback_to() override { rollback_to_.execute(true); }
    void op() override {
        parent_.execute(true);
        // SOCI's own way to the key where it has one: SQLite's and MySQL's backends read it
        // from the native handle (sqlite3_last_insert_rowid, mysql_insert_id), no statement.
        if (family_ != "postgresql" && !sql_.get_last_insert_id(main_table, key_))
            throw std::runtime_error("SOCI's " + family_ + " backend gave no last insert id");
        child_.execute(true);
    }
    soci::session sql_;
    std::string family_;
    std::string name_ = "parent", message_ = "child";
    long long key_ = 0;
    // Statements are built step by step: `sql.prepare << ...` and `sql << ..., into(...)` go
    // through SOCI classes whose type information libsoci_core does not export, and UBSan's
    // checks (the asan preset) need it at link time.
    static void prepare(soci::statement& statement, const std::string& sql) {
        statement.alloc();
        statement.prepare(sql);
        statement.define_and_bind();
    }
    soci::statement parent_, child_, savepoint_, release_, rollback_to_;
};

// ---- Lockstep ----
struct parent_row {
    std::int64_t id = 0;
    std::string name;
};
struct child_row {
    std::int64_t id = 0;
    std::int64_t main_id = 0;
    std::string message;
};

struct bench_tables {
    // Spelled as the README teaches: members as template arguments (compile-time columns).
    lockstep::table<parent_row> main{
        main_table, lockstep::primary_key<&parent_row::id>("id"),
        lockstep::column<&parent_row::name>("name", lockstep::max_length(100))};
    lockstep::table<child_row> sig{
        child_table, lockstep::primary_key<&child_row::id>("id"),
        lockstep::foreign_key<&child_row::main_id>("main_id", main, lockstep::on_delete::cascade),
        lockstep::column<&child_row::message>("message", lockstep::max_length(100))};
};

const bench_tables& tables() {
    static const bench_tables t;
    return t;
}

/// Lockstep's model layer: the child is inserted by a real post_save receiver; blocks through
/// atomic; savepoint rollbacks and the W4 rollback through set_rollback (no exception).
class model_variant final : public variant {
public:
    /// With `counted`, a lockstep::counting_tracer observes the connection: the model layer with
    /// a tracer installed, beside the same without one (issue 15's cost of tracing).
    /// With `insert_child`, the receiver writes the child with `insert`, which reads its key
    /// back, instead of `add` as the README teaches: what reading a key nobody needs costs.
    explicit model_variant(const std::string& url, bool counted = false, bool insert_child = false)
        : counted_(counted), insert_child_(insert_child), db_(lockstep::connection::open(url)) {
        if (counted_)
            db_.set_tracer(std::make_shared<lockstep::counting_tracer>());
    }
    std::string name() const override {
        return counted_ ? "model+counters" : insert_child_ ? "model+insert" : "model";
    }
    long server_pid() override { return session_pid(db_); }
    /// The pid of the PostgreSQL backend serving `db`. MySQL's session id is a connection id,
    /// not a pid (every MariaDB thread is pinned instead): 0 there, as for SQLite.
    static long session_pid(lockstep::connection& db) {
        return lockstep::detail::connection_access::session(db).engine() == "postgresql"
                   ? std::stol(db.server_session_id())
                   : 0;
    }
    void run(const workload& w) override {
        // The receiver is connected only while this variant runs: every model variant's table is
        // the same, and a receiver left connected would be called (and return) on the others'
        // rows, a cost no program with one receiver pays.
        const auto receiver =
            lockstep::post_save.connect(t_.main, [this](const lockstep::saved<parent_row>& e) {
                const child_row child{.main_id = e.instance.id, .message = "child"};
                if (insert_child_)
                    (void)e.db.insert(t_.sig, child);
                else
                    e.db.add(t_.sig, child);
            });
        for (int t = 0; t < w.transactions; ++t)
            lockstep::atomic(db_, [&] {
                for (int i = 0; i < w.ops_per_transaction; ++i) {
                    if (w.kind == workload::shape::savepoint_release)
                        lockstep::atomic(db_, [&] { insert(); });
                    else if (w.kind == workload::shape::savepoint_rollback)
                        lockstep::atomic(db_, [&] {
                            insert();
                            lockstep::set_rollback(db_, true);
                        });
                    else
                        insert();
                    slice_point();
                }
                if (w.kind == workload::shape::rollback_all)
                    lockstep::set_rollback(db_, true);
            });
    }

private:
    void insert() { db_.insert(t_.main, parent_row{.id = 0, .name = "parent"}); }
    const bench_tables& t_ = tables();
    bool counted_;
    bool insert_child_;
    lockstep::connection db_;
};

/// Lockstep's backend session called directly, below the model layer and signals (SQLite
/// only): it splits the model's cost into what the adapter costs and what the model adds.
class spi_variant final : public primitive_variant {
public:
    explicit spi_variant(const std::string& url) : db_(lockstep::connection::open(url)) {
        const auto& s = lockstep::detail::connection_access::session(db_);
        parent_ = "INSERT INTO " + s.quote_identifier(main_table) + " (" +
                  s.quote_identifier("name") + ") VALUES (?)";
        child_ = "INSERT INTO " + s.quote_identifier(child_table) + " (" +
                 s.quote_identifier("main_id") + ", " + s.quote_identifier("message") +
                 ") VALUES (?, ?)";
    }
    std::string name() const override { return "spi"; }

private:
    void begin() override {
        lockstep::detail::connection_access::session(db_).begin(
            lockstep::isolation_level::engine_default);
    }
    void commit() override { lockstep::detail::connection_access::session(db_).commit(); }
    void rollback() override { lockstep::detail::connection_access::session(db_).rollback(); }
    // As the core runs a block nested once: by stack index 1, whose name is ls1 (semantics 1.6).
    void savepoint() override { step(lockstep::spi::savepoint_step::create); }
    void release() override { step(lockstep::spi::savepoint_step::release); }
    void rollback_to() override { step(lockstep::spi::savepoint_step::rollback_to); }
    void step(lockstep::spi::savepoint_step s) {
        lockstep::detail::connection_access::session(db_).run_savepoint(s, 1, "ls1");
    }
    void op() override {
        // The same values as the raw variant: string literals, the parent's key.
        const std::array<lockstep::param, 1> p{std::string_view("parent")};
        const auto key = lockstep::detail::connection_access::session(db_).insert(parent_, p, "id");
        const std::array<lockstep::param, 2> c{key, std::string_view("child")};
        lockstep::detail::connection_access::session(db_).insert(child_, c, "id");
    }
    lockstep::connection db_;
    std::string parent_, child_;
};

/// Lockstep's plain SQL: the same statements through db.query / db.execute inside atomic.
class plain_variant final : public variant {
public:
    explicit plain_variant(const std::string& url) : db_(lockstep::connection::open(url)) {
        const auto& s = lockstep::detail::connection_access::session(db_);
        parent_sql_ = "INSERT INTO " + s.quote_identifier(main_table) + " (" +
                      s.quote_identifier("name") + ") VALUES (?) RETURNING " +
                      s.quote_identifier("id");
        child_sql_ = "INSERT INTO " + s.quote_identifier(child_table) + " (" +
                     s.quote_identifier("main_id") + ", " + s.quote_identifier("message") +
                     ") VALUES (?, ?)";
    }
    std::string name() const override { return "plain"; }
    long server_pid() override { return model_variant::session_pid(db_); }
    void run(const workload& w) override {
        for (int t = 0; t < w.transactions; ++t)
            lockstep::atomic(db_, [&] {
                for (int i = 0; i < w.ops_per_transaction; ++i) {
                    if (w.kind == workload::shape::savepoint_release)
                        lockstep::atomic(db_, [&] { op(); });
                    else if (w.kind == workload::shape::savepoint_rollback)
                        lockstep::atomic(db_, [&] {
                            op();
                            lockstep::set_rollback(db_, true);
                        });
                    else
                        op();
                    slice_point();
                }
                if (w.kind == workload::shape::rollback_all)
                    lockstep::set_rollback(db_, true);
            });
    }

private:
    void op() {
        const auto rows = db_.query(parent_sql_, "parent");
        db_.execute(child_sql_, lockstep::as_integer(rows.at(0).at(0)), "child");
    }
    lockstep::connection db_;
    std::string parent_sql_, child_sql_;
};

/// A second instance of a variant under another name: `--control` runs the raw driver twice, so
/// the run shows what identical code measures against itself on this machine (an A/A test).
class renamed final : public variant {
public:
    renamed(std::unique_ptr<variant> inner, std::string name)
        : inner_(std::move(inner)), name_(std::move(name)) {}
    std::string name() const override { return name_; }
    void run(const workload& w) override { inner_->run(w); }
    long server_pid() override { return inner_->server_pid(); }

private:
    std::unique_ptr<variant> inner_;
    std::string name_;
};

// ---- the harness ----
struct target {
    std::string label; // "sqlite (journal)", "postgresql", ...
    std::string url;
    std::vector<std::unique_ptr<variant>> variants;
    long mysql_server_pid = 0;
    /// With --open-order: the variants in the order they were opened, each run once before timing.
    std::vector<variant*> open_sequence;
    /// With --interleave: a connection to each variant's own database file, for its tables.
    std::vector<std::unique_ptr<lockstep::connection>> setups;
};

/// With --interleave, variant `index`'s own database: the URL's file with ".v<index>" appended.
std::string variant_url(const std::string& url_text, const lockstep::connection_url& url,
                        std::size_t index) {
    const auto at = url_text.find(url.database);
    if (at == std::string::npos)
        throw std::runtime_error("bench: cannot find the database file in the URL");
    auto text = url_text;
    text.insert(at + url.database.size(), ".v" + std::to_string(index));
    return text;
}

std::string soci_quote(const std::string& v) {
    return "'" + v + "'";
}

/// The raw driver's variant for `url` (a second one for --control).
std::unique_ptr<variant> make_raw(const lockstep::connection_url& url, bool returning) {
    if (url.engine() == "sqlite")
        return std::make_unique<raw_sqlite>(url.database);
    if (url.engine() == "postgresql")
        return std::make_unique<raw_postgresql>(url);
    return std::make_unique<raw_connector>(url, returning);
}

/// Stops glibc from giving the top of the heap back to the kernel. By default `free` trims the
/// heap whenever more than 128 KiB lie free at its top, and the next `malloc` there takes the
/// pages back, one page fault each. Which connection's SQLite allocations sit at the top depends
/// on the order the connections were opened, so one variant per run paid those faults on every
/// transaction, whatever its code (docs/performance.md, "The heap top, and two cuts").
/// Holding the top makes every variant's memory behave alike; `--trim-heap` keeps the default.
void hold_heap_top() {
    if (mallopt(M_TRIM_THRESHOLD, 1 << 30) != 1)
        std::cerr << "bench: mallopt(M_TRIM_THRESHOLD) failed; the heap is trimmed as usual\n";
}

/// The variants' connections are opened in declared order, or with `open_order` > 0 in an order
/// shuffled by that seed. Where a connection's memory lands moves a variant's time on SQLite at
/// the sizes (docs/performance.md, "Where a connection's memory lands"); runs with
/// different seeds let every variant take every place. The list, and so the run order, stays
/// as declared.
target make_target(const std::string& url_text, bool control, unsigned open_order,
                   bool interleave) {
    const auto url = lockstep::parse_connection_url(url_text);
    target t{url.engine(), url_text, {}, 0, {}, {}};
    interleave = interleave && url.engine() == "sqlite" && !url.database.empty() &&
                 url.database != ":memory:";
    // Each maker opens its variant on the URL it is given: url_text, or with --interleave a
    // file of the variant's own.
    struct where {
        lockstep::connection_url url;
        std::string text;
    };
    using maker = std::function<std::unique_ptr<variant>(const where& at)>;
    std::vector<maker> make;
    auto probe = lockstep::connection::open(url_text);
    // A soci+ URL measures Lockstep's SOCI adapter: the same raw driver and plain SOCI
    // variants as the native engine, with Lockstep's variants going through SOCI.
    const auto adapter = url.is_soci() ? std::string(" via soci") : std::string();
    bool returning = false; // MariaDB's raw variant: INSERT ... RETURNING or LAST_INSERT_ID()
    if (url.engine() == "sqlite") {
        const auto journal = url.option("journal_mode").value_or("delete");
        t.label = "sqlite (" + journal + ")" + adapter;
        make.push_back([=](const where& at) { return make_raw(at.url, false); });
        make.push_back([=](const where& at) { return std::make_unique<spi_variant>(at.text); });
        make.push_back([=](const where& at) { return std::make_unique<model_variant>(at.text); });
        make.push_back(
            [=](const where& at) { return std::make_unique<model_variant>(at.text, false, true); });
        make.push_back(
            [=](const where& at) { return std::make_unique<model_variant>(at.text, true); });
        make.push_back([=](const where& at) { return std::make_unique<plain_variant>(at.text); });
        make.push_back([=](const where& at) {
            return std::make_unique<soci_variant>("sqlite3", "db=" + at.url.database, "sqlite");
        });
    } else if (url.engine() == "postgresql") {
        // Pipelined, the model and plain variants run in pipeline mode (semantics 10); raw and
        // SOCI wait per statement as ever.
        t.label += url.option("pipeline").value_or("off") == "on" ? " (pipeline)" : "";
        t.label += adapter;
        make.push_back([=](const where& at) { return make_raw(at.url, false); });
        make.push_back([=](const where& at) { return std::make_unique<model_variant>(at.text); });
        make.push_back(
            [=](const where& at) { return std::make_unique<model_variant>(at.text, false, true); });
        make.push_back([=](const where& at) { return std::make_unique<plain_variant>(at.text); });
        make.push_back([=](const where& at) {
            return std::make_unique<soci_variant>(
                "postgresql",
                "host=" + at.url.host + " port=" + std::to_string(at.url.port.value_or(5432)) +
                    " dbname=" + at.url.database + " user=" + at.url.user +
                    " password=" + at.url.password,
                "postgresql");
        });
    } else if (url.engine() == "mysql") {
        // A Galera node is measured like one server; the label says which it was.
        t.label = (probe.target_name() == "galera" ? "galera" : "mariadb") + adapter;
        // RETURNING needs MariaDB 10.5+; ask the server (a soci+ probe never offers it).
        const auto version = lockstep::as_text(probe.query("SELECT VERSION()").at(0).at(0));
        int major = 0, minor = 0;
        std::sscanf(version.c_str(), "%d.%d", &major, &minor);
        returning = version.find("MariaDB") != std::string::npos &&
                    (major > 10 || (major == 10 && minor >= 5));
        make.push_back([=](const where& at) { return make_raw(at.url, returning); });
        make.push_back([=](const where& at) { return std::make_unique<raw_mariadb>(at.url); });
        make.push_back([=](const where& at) { return std::make_unique<model_variant>(at.text); });
        make.push_back(
            [=](const where& at) { return std::make_unique<model_variant>(at.text, false, true); });
        make.push_back([=](const where& at) { return std::make_unique<plain_variant>(at.text); });
        make.push_back([=](const where& at) {
            return std::make_unique<soci_variant>(
                "mysql",
                "host=" + soci_quote(at.url.host) +
                    " port=" + std::to_string(at.url.port.value_or(3306)) +
                    " db=" + soci_quote(at.url.database) + " user=" + soci_quote(at.url.user) +
                    " password=" + soci_quote(at.url.password),
                "mysql");
        });
        const auto rows = probe.query("SELECT @@pid_file");
        if (std::ifstream pid_file(lockstep::as_text(rows.at(0).at(0))); pid_file)
            pid_file >> t.mysql_server_pid;
    } else {
        throw std::runtime_error("bench: no raw variant for engine " + url.engine());
    }
    // Second after raw, so that odd rounds (run in reverse) do not always put it last.
    if (control)
        make.insert(make.begin() + 1, [=](const where& at) {
            return std::make_unique<renamed>(make_raw(at.url, returning), "raw-again");
        });
    std::vector<std::size_t> order(make.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (open_order > 0) {
        std::mt19937 shuffle(open_order);
        std::shuffle(order.begin(), order.end(), shuffle);
    }
    t.variants.resize(make.size());
    if (interleave)
        t.setups.resize(make.size());
    for (const auto i : order) {
        if (!interleave) {
            t.variants[i] = make[i]({url, url_text});
            continue;
        }
        // The variant's own file, its tables made before it opens (the raw ones prepare).
        const auto text = variant_url(url_text, url, i);
        t.setups[i] = std::make_unique<lockstep::connection>(lockstep::connection::open(text));
        t.setups[i]->drop_tables(tables().main, tables().sig);
        t.setups[i]->create_tables(tables().main, tables().sig);
        t.variants[i] = make[i]({lockstep::parse_connection_url(text), text});
    }
    if (open_order > 0)
        for (const auto i : order)
            t.open_sequence.push_back(t.variants[i].get());
    return t;
}

void pin_to_cpu0(long pid) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(static_cast<pid_t>(pid), sizeof set, &set) != 0)
        std::cerr << "bench: could not pin " << pid << " to CPU 0 (needs the right to)\n";
}

/// The thread ids of process `pid` (its /proc/PID/task entries); empty if it is gone.
std::vector<pid_t> threads_of(long pid) {
    std::vector<pid_t> ids;
    const auto dir = "/proc/" + std::to_string(pid) + "/task";
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d))
            if (e->d_name[0] != '.')
                ids.push_back(static_cast<pid_t>(std::stol(e->d_name)));
        closedir(d);
    }
    return ids;
}

/// The servers pinned to CPU 0 for one target, given their CPUs back when the target is done.
/// A MariaDB server outlives the benchmark: left pinned, its background threads (page cleaner,
/// purge, timers) would wake on the client's CPU under every later target, and under every later
/// run on the machine, until the server restarts.
class server_pins {
public:
    server_pins() = default;
    server_pins(const server_pins&) = delete;
    server_pins& operator=(const server_pins&) = delete;
    ~server_pins() {
        // Every thread each process has now, not only those pinned: threads a MariaDB server
        // started meanwhile (for the variants' connections) inherited CPU 0 from their starter.
        // The processes are all still there: the target's connections close after this.
        for (const auto& [pid, mask] : saved_)
            for (const auto tid : threads_of(pid))
                sched_setaffinity(tid, sizeof mask, &mask);
    }
    /// Pins every thread of process `pid`: a PostgreSQL backend (one thread) or a MariaDB server.
    void pin(long pid) {
        cpu_set_t mask;
        CPU_ZERO(&mask);
        if (sched_getaffinity(static_cast<pid_t>(pid), sizeof mask, &mask) != 0)
            return; // gone, or not ours to read: nothing to pin or give back
        saved_.emplace_back(pid, mask);
        for (const auto tid : threads_of(pid))
            pin_to_cpu0(tid);
    }

private:
    std::vector<std::pair<long, cpu_set_t>> saved_;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// One tick of /proc/stat (USER_HZ, 1/100 s on Linux), in microseconds.
const double tick_us = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));

/// Ticks (1/100 s) the hypervisor has taken from CPU `cpu` since boot, or from all CPUs if `cpu`
/// is negative: the steal column of /proc/stat. -1 where the kernel does not report it.
long steal_ticks(int cpu) {
    std::ifstream stat("/proc/stat");
    const auto wanted = cpu < 0 ? std::string("cpu") : "cpu" + std::to_string(cpu);
    for (std::string line; std::getline(stat, line);) {
        std::istringstream fields(line);
        std::string name;
        fields >> name;
        if (name != wanted)
            continue;
        // user nice system idle iowait irq softirq steal
        long value = -1;
        for (int column = 0; column < 8 && fields >> value; ++column) {
        }
        return fields ? value : -1;
    }
    return -1;
}

/// How fast the core's caches are right now, independently of any variant: the microseconds
/// 20000 dependent loads take, chasing a random ring through 256 KiB (this core's L2 cache; about
/// 90 us when nothing else uses it), the median of five chases. Recorded per round, it shows a
/// reader when a neighbour on the host (a sibling hyperthread, the shared L3) slowed this VM
/// without the kernel counting steal, which nothing else here shows.
double speed_probe_us() {
    struct alignas(64) node {
        std::uint32_t next;
    };
    static const std::vector<node> ring = [] {
        std::vector<std::uint32_t> order(256 * 1024 / sizeof(node));
        std::iota(order.begin(), order.end(), 0U);
        std::shuffle(order.begin() + 1, order.end(), std::mt19937(1));
        std::vector<node> r(order.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            r[order[i]].next = order[(i + 1) % order.size()];
        return r;
    }();
    std::vector<double> times;
    std::uint32_t at = 0;
    for (int attempt = 0; attempt < 5; ++attempt) {
        const auto start = clock_type::now();
        for (int i = 0; i < 20000; ++i)
            at = ring[at].next;
        times.push_back(
            std::chrono::duration<double, std::micro>(clock_type::now() - start).count());
    }
    asm volatile("" : : "r"(at)); // keep the chase: where it ends is never used
    return median(std::move(times));
}

struct samples {
    std::vector<double> wall, cpu, allocs, ratio, ratio_to_limit;
};

long rss_kib() {
    std::ifstream statm("/proc/self/statm");
    long size = 0, resident = 0;
    statm >> size >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int rss_mode(long blocks) {
    auto db = lockstep::connection::open("sqlite::memory:");
    struct event {
        long n;
    };
    lockstep::signal<event> sig;
    long received = 0;
    auto sub = sig.connect([&](const event& e) { received += e.n; });
    std::cout << "RSS over " << blocks
              << " atomic blocks (each sends a signal to a receiver and registers an on_commit "
                 "and an on_rollback hook; every other block rolls back):\n";
    const long start = rss_kib();
    long hooks = 0;
    for (long i = 1; i <= blocks; ++i) {
        lockstep::atomic(db, [&] {
            sig.send(event{1});
            lockstep::on_commit(db, [&] { ++hooks; });
            lockstep::on_rollback(db, [&] { ++hooks; });
            if (i % 2 == 0)
                lockstep::set_rollback(db, true);
        });
        if (i == blocks / 100 || i == blocks / 10 || i == blocks / 2 || i == blocks)
            std::cout << "  after " << std::setw(8) << i << " blocks: RSS " << rss_kib() << " KiB ("
                      << std::showpos << rss_kib() - start << std::noshowpos << " KiB)\n";
    }
    std::cout << "  receivers called " << received << ", hooks run " << hooks << "\n";
    return received == blocks && hooks == blocks ? 0 : 1;
}

/// --compare: Lockstep's model layer on each URL (for instance a native adapter and the SOCI
/// adapter over the same database), with each URL's ratio to the first.
int compare_urls(const std::vector<std::string>& urls, const std::vector<workload>& workloads,
                 int rounds) {
    std::vector<std::unique_ptr<lockstep::connection>> setups;
    std::vector<std::unique_ptr<model_variant>> models;
    for (const auto& url : urls) {
        setups.push_back(std::make_unique<lockstep::connection>(lockstep::connection::open(url)));
        models.push_back(std::make_unique<model_variant>(url));
    }
    for (const auto& w : workloads) {
        std::vector<samples> results(urls.size());
        for (int round = 0; round < rounds; ++round) {
            for (std::size_t u = 0; u < urls.size(); ++u) {
                setups[u]->drop_tables(tables().main, tables().sig);
                setups[u]->create_tables(tables().main, tables().sig);
                const auto start = clock_type::now();
                models[u]->run(w);
                const double wall =
                    std::chrono::duration<double, std::micro>(clock_type::now() - start).count();
                if (setups[u]->count(tables().sig) != w.expected_rows()) {
                    std::cerr << "bench: the rows of " << w.name << " are wrong on "
                              << lockstep::redact_url_text(urls[u]) << "\n";
                    return 1;
                }
                results[u].wall.push_back(wall / w.ops());
            }
            for (std::size_t u = 0; u < urls.size(); ++u)
                results[u].ratio.push_back(results[u].wall.back() / results[0].wall.back());
        }
        std::cout << "\nmodel layer, " << w.name << " (" << w.transactions << " x "
                  << w.ops_per_transaction << " ops, " << rounds << " rounds)\n";
        for (std::size_t u = 0; u < urls.size(); ++u) {
            const auto& r = results[u];
            const auto [lo, hi] = std::minmax_element(r.ratio.begin(), r.ratio.end());
            std::cout << "  " << std::left << std::setw(60)
                      << lockstep::parse_connection_url(urls[u]).redacted() << std::right
                      << std::fixed << std::setprecision(2) << std::setw(9) << median(r.wall)
                      << " us/op   ratio to first " << median(r.ratio) << " (" << *lo << "-" << *hi
                      << ")\n";
        }
    }
    return 0;
}

} // namespace

int main(int argc, char* argv[]) {
    lockstep::register_builtin_drivers();
    std::vector<std::string> urls;
    std::vector<std::string> chosen;
    int rounds = 5;
    double scale = 1.0;
    bool pin = false, compare = false;
    double contention_seconds = 0;
    std::size_t bulk_rows = 0;
    int outbox_ops = 0;
    bool growth = false;
    std::vector<std::string> growth_dimensions;
    long max_rows = 1000000;
    int threads_per_url = 2, hot_rows = 4;
    std::string json_path;
    std::vector<std::string> only; // variants kept besides raw (and raw-again)
    bool control = false;
    unsigned open_order = 0; // 0: connections opened in declared order; else a shuffle's seed
    bool trim_heap = false;  // keep glibc's heap trimming (see hold_heap_top)
    int steal_reruns = -1;   // rounds run again for steal, per workload; -1: as many as --rounds
    double steal_limit = 1;  // percent of a variant's run the hypervisor may take; 0: any steal
    int interleave = 0;      // ops per slice when a round's variants take turns; 0: one by one
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool more = i + 1 < argc;
        if (a == "--url" && more)
            urls.emplace_back(argv[++i]);
        else if (a == "--workload" && more) {
            std::stringstream list(argv[++i]);
            for (std::string w; std::getline(list, w, ',');)
                chosen.push_back(w);
        } else if (a == "--rounds" && more)
            rounds = std::stoi(argv[++i]);
        else if (a == "--scale" && more)
            scale = std::stod(argv[++i]);
        else if (a == "--pin")
            pin = true;
        else if (a == "--compare")
            compare = true;
        else if (a == "--only" && more) {
            std::stringstream list(argv[++i]); // variants besides raw, e.g. for profiling
            for (std::string v; std::getline(list, v, ',');)
                only.push_back(v);
        } else if (a == "--control")
            control = true;
        else if (a == "--steal-reruns" && more)
            steal_reruns = std::stoi(argv[++i]);
        else if (a == "--steal-limit" && more)
            steal_limit = std::stod(argv[++i]);
        else if (a == "--interleave" && more)
            interleave = std::stoi(argv[++i]);
        else if (a == "--trim-heap")
            trim_heap = true;
        else if (a == "--open-order" && more)
            open_order = static_cast<unsigned>(std::stoul(argv[++i]));
        else if (a == "--json" && more)
            json_path = argv[++i];
        else if (a == "--rss" && more)
            return rss_mode(std::stol(argv[++i]));
        else if (a == "--contention" && more)
            contention_seconds = std::stod(argv[++i]);
        else if (a == "--outbox" && more)
            outbox_ops = std::stoi(argv[++i]);
        else if (a == "--bulk" && more)
            bulk_rows = std::stoul(argv[++i]);
        else if (a == "--growth" && more) {
            growth = true;
            std::stringstream list(argv[++i]);
            for (std::string d; std::getline(list, d, ',');)
                if (d != "all")
                    growth_dimensions.push_back(d);
        } else if (a == "--max-rows" && more)
            max_rows = std::stol(argv[++i]);
        else if (a == "--threads" && more)
            threads_per_url = std::stoi(argv[++i]);
        else if (a == "--hot-rows" && more)
            hot_rows = std::stoi(argv[++i]);
        else {
            std::cerr
                << "usage: lockstep_bench [--url URL]... [--workload W1,W2,W3r,W3b,W4] "
                   "[--rounds N] [--scale F] [--pin] [--json FILE] [--only VARIANT,...] "
                   "[--control] [--steal-reruns N] [--steal-limit PERCENT] [--open-order SEED] "
                   "[--trim-heap] [--interleave OPS] [--compare] | "
                   "--rss BLOCKS | "
                   "--contention SECONDS [--threads N] "
                   "[--hot-rows N] --url URL... | --bulk ROWS --url URL... | --outbox OPS "
                   "[--rounds N] --url URL... | --growth "
                   "all|savepoint_depth,receivers,hooks,rows,statements,threads "
                   "[--max-rows N] [--json FILE] --url URL...\n";
            return 2;
        }
    }
    if (steal_reruns < 0)
        steal_reruns = rounds;
    const auto scaled = [&](int n) { return std::max(1, static_cast<int>(n * scale)); };
    std::vector<workload> workloads{
        {"W1", 1, scaled(20000), workload::shape::plain},
        {"W2", scaled(2000), 1, workload::shape::plain},
        {"W3r", 1, scaled(5000), workload::shape::savepoint_release},
        {"W3b", 1, scaled(5000), workload::shape::savepoint_rollback},
        {"W4", 1, scaled(5000), workload::shape::rollback_all},
    };
    if (!chosen.empty())
        std::erase_if(workloads, [&](const workload& w) {
            return std::find(chosen.begin(), chosen.end(), w.name) == chosen.end();
        });
    if (urls.empty()) {
        const auto dir = std::filesystem::temp_directory_path();
        urls = {"sqlite://" + (dir / "lockstep-bench-journal.db").string() + "?journal_mode=delete",
                "sqlite://" + (dir / "lockstep-bench-wal.db").string() + "?journal_mode=wal"};
    }
    if (bulk_rows > 0)
        return bulk_mode(urls, bulk_rows, rounds);
    if (outbox_ops > 0)
        return outbox_mode(urls, outbox_ops, rounds);
    if (growth)
        return growth_mode(urls, growth_dimensions, max_rows, json_path);
    if (contention_seconds > 0)
        return contention_mode(urls, contention_seconds, threads_per_url, hot_rows);
    if (pin)
        pin_to_cpu0(0);
    if (!trim_heap)
        hold_heap_top();
    // Interleaved, the variants run on threads of their own, and glibc would give each thread an
    // arena of its own: SQLite's pages would land elsewhere than one by one, and where they land
    // moves W3b by up to 0.8 (docs/performance.md, "W3b and the heap"). One arena, as with one
    // thread; only one variant runs at a time, so nothing waits for its lock.
    if (interleave > 0 && mallopt(M_ARENA_MAX, 1) != 1)
        std::cerr << "bench: mallopt(M_ARENA_MAX) failed; threads get arenas of their own\n";

    if (compare)
        return compare_urls(urls, workloads, rounds);

    nlohmann::json report = nlohmann::json::array();
    for (const auto& url : urls) {
        auto setup = lockstep::connection::open(url);
        setup.drop_tables(tables().main, tables().sig);
        setup.create_tables(tables().main, tables().sig); // the raw variants prepare against them
        auto t = make_target(url, control, open_order, interleave > 0);
        // Only SQLite targets interleave (each variant needs a database of its own); a server's
        // variants run one by one as ever.
        const int slice_ops = t.setups.empty() ? 0 : interleave;
        // The connection that makes variant v's tables and counts its rows.
        const auto setup_of = [&](std::size_t v) -> lockstep::connection& {
            return t.setups.empty() ? setup : *t.setups[v];
        };
        {
            // Interleaved, every variant's run is under way at once, and a model variant's
            // post_save receiver is connected for its whole run: two model variants would each
            // receive the other's rows. So only `model` runs; its two diagnostic twins do not.
            const auto left_out = [&](const variant& v) {
                const auto name = v.name();
                if (slice_ops > 0 && (name == "model+insert" || name == "model+counters"))
                    return true;
                return !only.empty() && name != "raw" && name != "raw-again" &&
                       std::find(only.begin(), only.end(), name) == only.end();
            };
            // The open sequence first, while the variants it points to still live.
            std::erase_if(t.open_sequence, [&](const variant* v) { return left_out(*v); });
            for (std::size_t v = t.variants.size(); v-- > 0;)
                if (left_out(*t.variants[v])) {
                    t.variants.erase(t.variants.begin() + static_cast<std::ptrdiff_t>(v));
                    if (!t.setups.empty())
                        t.setups.erase(t.setups.begin() + static_cast<std::ptrdiff_t>(v));
                }
        }
        // Declared after the target, so the servers get their CPUs back before its connections
        // close, and before the next target starts.
        server_pins pins;
        if (pin) {
            for (auto& v : t.variants)
                if (const auto pid = v->server_pid())
                    pins.pin(pid);
            if (t.mysql_server_pid)
                pins.pin(t.mysql_server_pid);
        }
        const auto joined_sql = "SELECT COUNT(*) FROM " + setup.quote_identifier(child_table) +
                                " c JOIN " + setup.quote_identifier(main_table) + " m ON c." +
                                setup.quote_identifier("main_id") + " = m." +
                                setup.quote_identifier("id");
        // Where the raw variant is not the physical limit (Connector/C++ on MariaDB), every
        // variant is also compared with the one that is (the C API).
        std::optional<std::size_t> limit;
        for (std::size_t v = 0; v < t.variants.size(); ++v)
            if (t.variants[v]->name() == "capi")
                limit = v;
        // A connection's first run allocates its statements and page cache, and where they land
        // stays with it: with --open-order that run is untimed, in the order of the opens.
        for (auto* v : t.open_sequence) {
            if (workloads.empty())
                break;
            const auto index = static_cast<std::size_t>(
                std::find_if(t.variants.begin(), t.variants.end(),
                             [&](const std::unique_ptr<variant>& p) { return p.get() == v; }) -
                t.variants.begin());
            setup_of(index).drop_tables(tables().main, tables().sig);
            setup_of(index).create_tables(tables().main, tables().sig);
            v->run(workloads.front());
        }
        for (const auto& w : workloads) {
            std::vector<samples> results(t.variants.size());
            const int steal_cpu = pin ? 0 : -1; // pinned, only CPU 0 counts (see below)
            std::vector<long> kept_steal;       // per kept round, in ticks
            std::vector<double> kept_share;     // per kept round: the most stolen variant's share
            std::vector<double> kept_probe;     // per kept round: speed_probe_us before and after
            int reruns = 0;                     // rounds run again because of steal
            for (int round = 0; round < rounds; ++round) {
                // A round in which the hypervisor took more than --steal-limit percent of some
                // variant's run is run again: steal lands on one variant's timing and not on the
                // others', so it skews that round's ratios. The rule is fixed before any time is
                // read and weighs only /proc/stat's count against the length of the run it fell
                // in, never one variant against another. Relative, because the count is in 1/100 s:
                // a 2 s run on a server nearly always holds a tick, which moves it by 0.5%, while
                // one tick in a 50 ms SQLite run is 20%. Pinned, only CPU 0 counts: the client and
                // the servers it waits for all run there.
                long round_steal = 0;
                double worst_share = 0; // of any variant's run, in percent
                const auto probe_before = speed_probe_us();
                struct timed {
                    double wall, cpu, allocs; // per op
                };
                std::vector<timed> attempt(t.variants.size());
                // Each variant's run leaves exactly the rows its workload keeps.
                const auto rows_right = [&](std::size_t v) {
                    auto& db = setup_of(v);
                    const auto parents = db.count(tables().main);
                    const auto children = db.count(tables().sig);
                    const auto joined = lockstep::as_integer(db.query(joined_sql).at(0).at(0));
                    if (parents == w.expected_rows() && children == w.expected_rows() &&
                        joined == w.expected_rows())
                        return true;
                    std::cerr << "bench: " << t.label << " " << w.name << " "
                              << t.variants[v]->name() << " left " << parents << " parents, "
                              << children << " children, " << joined << " joined; expected "
                              << w.expected_rows() << "\n";
                    return false;
                };
                // Odd rounds run the variants in reverse order, so no variant always runs
                // right after the same neighbour (page cache, file size, heap state).
                std::vector<std::size_t> order(t.variants.size());
                for (std::size_t step = 0; step < order.size(); ++step)
                    order[step] = round % 2 ? order.size() - 1 - step : step;
                if (slice_ops > 0) {
                    // Every variant's run at once, on a thread each, taking turns in the
                    // round's order every `slice_ops` ops (baton, slicer).
                    for (std::size_t v = 0; v < t.variants.size(); ++v) {
                        setup_of(v).drop_tables(tables().main, tables().sig);
                        setup_of(v).create_tables(tables().main, tables().sig);
                    }
                    baton turns(order);
                    std::vector<std::unique_ptr<slicer>> slices;
                    for (std::size_t v = 0; v < t.variants.size(); ++v)
                        slices.push_back(std::make_unique<slicer>(turns, v, slice_ops));
                    std::vector<std::exception_ptr> failures(t.variants.size());
                    const auto steal_start = steal_ticks(steal_cpu);
                    {
                        std::vector<std::jthread> threads;
                        for (std::size_t v = 0; v < t.variants.size(); ++v)
                            threads.emplace_back([&, v] {
                                auto& own = *slices[v];
                                current_slicer = &own;
                                own.resume();
                                try {
                                    t.variants[v]->run(w);
                                } catch (...) {
                                    failures[v] = std::current_exception();
                                }
                                current_slicer = nullptr;
                                own.finish();
                            });
                    } // joined here
                    for (const auto& failure : failures)
                        if (failure)
                            std::rethrow_exception(failure);
                    if (steal_start >= 0) {
                        // A tick falls on whichever slices ran then: weighed against the
                        // shortest variant's run, as the sequential rule weighs the run it fell in.
                        round_steal = steal_ticks(steal_cpu) - steal_start;
                        double shortest = slices.front()->wall_us;
                        for (const auto& slice : slices)
                            shortest = std::min(shortest, slice->wall_us);
                        worst_share = 100 * static_cast<double>(round_steal) * tick_us / shortest;
                    }
                    for (std::size_t v = 0; v < t.variants.size(); ++v) {
                        if (!rows_right(v))
                            return 1;
                        attempt[v] = {slices[v]->wall_us / w.ops(), slices[v]->cpu_us / w.ops(),
                                      static_cast<double>(slices[v]->allocs) / w.ops()};
                    }
                } else
                    for (const auto v : order) {
                        setup.drop_tables(tables().main, tables().sig);
                        setup.create_tables(tables().main, tables().sig);
                        const auto steal_start = steal_ticks(steal_cpu); // allocates: not counted
                        const auto alloc_start = allocations.load();
                        const auto cpu_start = std::clock();
                        const auto start = clock_type::now();
                        t.variants[v]->run(w);
                        const double wall =
                            std::chrono::duration<double, std::micro>(clock_type::now() - start)
                                .count();
                        const double cpu =
                            1e6 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
                        const auto allocs = allocations.load() - alloc_start;
                        if (steal_start >= 0) {
                            const auto stolen = steal_ticks(steal_cpu) - steal_start;
                            round_steal += stolen;
                            worst_share = std::max(worst_share, 100 * stolen * tick_us / wall);
                        }
                        if (!rows_right(v))
                            return 1;
                        attempt[v] = {wall / w.ops(), cpu / w.ops(),
                                      static_cast<double>(allocs) / w.ops()};
                    }
                if (worst_share > steal_limit && reruns < steal_reruns) { // 0 only without steal
                    ++reruns;
                    --round; // the same round again, in the same order
                    continue;
                }
                kept_steal.push_back(round_steal);
                kept_share.push_back(worst_share);
                kept_probe.push_back(std::max(probe_before, speed_probe_us()));
                for (std::size_t v = 0; v < t.variants.size(); ++v) {
                    results[v].wall.push_back(attempt[v].wall);
                    results[v].cpu.push_back(attempt[v].cpu);
                    results[v].allocs.push_back(attempt[v].allocs);
                }
                // Every variant's time of the round is in before any ratio is taken: raw and
                // the C API may come after the variant in the list.
                for (std::size_t v = 0; v < t.variants.size(); ++v) {
                    results[v].ratio.push_back(results[v].wall.back() / results[0].wall.back());
                    if (limit)
                        results[v].ratio_to_limit.push_back(results[v].wall.back() /
                                                            results[*limit].wall.back());
                }
            }
            std::cout << "\n"
                      << t.label << ", " << w.name << " (" << w.transactions << " x "
                      << w.ops_per_transaction << " ops, " << rounds << " rounds"
                      << (pin ? ", pinned" : ", unpinned")
                      << (slice_ops > 0 ? ", interleaved by " + std::to_string(slice_ops) + " ops"
                                        : std::string())
                      << ", " << reruns << " run again for steal"
                      << (std::any_of(kept_share.begin(), kept_share.end(),
                                      [&](double share) { return share > steal_limit; })
                              ? ", some kept with steal over the limit"
                              : "")
                      << ")\n"
                      << "  variant        us/op   ratio to raw (min-max)   cpu us/op   allocs/op"
                      << (limit ? "   to capi" : "") << "\n";
            for (std::size_t v = 0; v < t.variants.size(); ++v) {
                const auto& r = results[v];
                const auto [lo, hi] = std::minmax_element(r.ratio.begin(), r.ratio.end());
                std::ostringstream ratio;
                ratio << std::fixed << std::setprecision(3) << median(r.ratio)
                      << std::setprecision(2) << " (" << *lo << "-" << *hi << ")";
                std::cout << "  " << std::left << std::setw(13) << t.variants[v]->name()
                          << std::right << std::fixed << std::setprecision(2) << std::setw(7)
                          << median(r.wall) << "   " << std::left << std::setw(22) << ratio.str()
                          << std::right << std::setw(9) << median(r.cpu) << std::setw(12)
                          << std::setprecision(1) << median(r.allocs);
                if (limit)
                    std::cout << std::setw(11) << std::setprecision(2) << median(r.ratio_to_limit);
                std::cout << "\n";
                nlohmann::json entry{{"target", t.label},
                                     {"workload", w.name},
                                     {"variant", t.variants[v]->name()},
                                     {"pinned", pin},
                                     {"open_order", open_order},
                                     {"heap_trimmed", trim_heap},
                                     {"us_per_op", median(r.wall)},
                                     {"ratio_to_raw", median(r.ratio)},
                                     {"ratio_min", *lo},
                                     {"ratio_max", *hi},
                                     {"cpu_us_per_op", median(r.cpu)},
                                     {"allocations_per_op", median(r.allocs)}};
                if (limit)
                    entry["ratio_to_capi"] = median(r.ratio_to_limit);
                // Every round's time, in run order: lets a reader pair any two variants round
                // by round (model with soci, say) or look at the spread afterwards.
                entry["rounds_us_per_op"] = r.wall;
                // The hypervisor's steal in each kept round (1/100 s), the largest share of one
                // variant's run it took (percent; within --steal-limit unless the reruns ran
                // out), and how many rounds were run again because of it.
                entry["rounds_steal_ticks"] = kept_steal;
                entry["rounds_steal_share_max"] = kept_share;
                entry["steal_limit_percent"] = steal_limit;
                entry["rounds_run_again_for_steal"] = reruns;
                // Ops per slice when the round's variants took turns (--interleave); 0: one by one.
                entry["interleave_ops"] = slice_ops;
                // The slower of the speed probes before and after each kept round (us): a
                // diagnostic of the host's speed, not a rule (speed_probe_us).
                entry["rounds_speed_probe_us"] = kept_probe;
                report.push_back(std::move(entry));
            }
        }
    }
    if (!json_path.empty())
        std::ofstream(json_path) << report.dump(2) << "\n";
    return 0;
}
