// Unit tests of tracing: what a tracer hears of statements and blocks, bound values only through
// the redaction callback, the ready tracers, and a pool-wide tracer.
// SPDX-License-Identifier: MIT
#include "lockstep/trace.hpp"

#include "lockstep/atomic.hpp"
#include "lockstep/pool.hpp"
#include "lockstep/retry.hpp"
#include "lockstep/spi/driver.hpp"
#include "testing/fake_session.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace lockstep;

namespace {

struct recorder : tracer {
    std::vector<std::string> heard;
    void statement(const statement_trace& s) override {
        std::string line = std::string(s.sql) + " rows=" + std::to_string(s.rows);
        if (s.failure != nullptr)
            line += std::string(" failed=") + s.failure->kind();
        if (s.parameters != nullptr)
            for (const auto& p : *s.parameters)
                line += " [" + p + "]";
        heard.push_back(line);
    }
    void block(block_event event, std::size_t depth, std::size_t count) override {
        heard.push_back(std::string(to_string(event)) + "@" + std::to_string(depth) +
                        (count ? "x" + std::to_string(count) : ""));
    }
};

} // namespace

TEST_CASE("A tracer hears each statement with its row count and each block event, in order",
          "[trace]") {
    testing::fake_connection f;
    auto r = std::make_shared<recorder>();
    f.db.set_tracer(r);
    atomic(f.db, [&] {
        f.db.execute("UPDATE t SET a = ?", 1);
        on_commit(f.db, [] {});
        try {
            atomic(f.db, [&] { throw std::runtime_error("inner"); });
        } catch (const std::runtime_error&) {
        }
    });
    CHECK(r->heard == std::vector<std::string>{"begin@1", "UPDATE t SET a = ? rows=1",
                                               "savepoint@2", "rollback_to@2", "commit@1",
                                               "hooks_ran@1x1"});
}

TEST_CASE("A failed statement is reported with its error class, and bound values never reach a "
          "tracer unless a redaction callback shows them",
          "[trace]") {
    testing::fake_connection f;
    auto r = std::make_shared<recorder>();
    f.db.set_tracer(r);
    f.session->fail_next("execute UPDATE", [] {
        throw integrity_error("dup", constraint_kind::unique, testing::from_engine());
    });
    CHECK_THROWS_AS(f.db.execute("UPDATE t SET secret = ?", "hunter2"), integrity_error);
    CHECK(r->heard.back() == "UPDATE t SET secret = ? rows=-1 failed=integrity_error");
    f.db.set_tracer(r, {.parameters = [](std::size_t i, const param&) {
                        return i == 0 ? std::string("***") : std::string("shown");
                    }});
    f.db.execute("UPDATE t SET secret = ?, b = ?", "hunter2", 2);
    CHECK(r->heard.back() == "UPDATE t SET secret = ?, b = ? rows=1 [***] [shown]");
    for (const auto& line : r->heard)
        CHECK(line.find("hunter2") == std::string::npos);
}

TEST_CASE("The counting tracer counts statements, blocks, savepoints, rollbacks and retries",
          "[trace]") {
    testing::fake_connection f;
    auto counts = std::make_shared<counting_tracer>();
    f.db.set_tracer(counts);
    int attempts = 0;
    retry(
        f.db,
        [&] {
            f.db.execute("UPDATE t SET a = 1");
            if (++attempts == 1)
                throw transaction_conflict("deadlock", testing::from_engine());
            atomic(f.db, [&] { f.db.execute("UPDATE t SET a = 2"); });
        },
        3);
    const auto c = counts->snapshot();
    CHECK(c.statements == 3);
    CHECK(c.blocks == 2);
    CHECK(c.commits == 1);
    CHECK(c.rollbacks == 1);
    CHECK(c.savepoints == 1);
    CHECK(c.retries == 1);
}

TEST_CASE("The stream tracer writes a line per event; the slow-statement tracer only slow ones",
          "[trace]") {
    testing::fake_connection f;
    std::ostringstream out;
    f.db.set_tracer(std::make_shared<stream_tracer>(out));
    atomic(f.db, [&] { f.db.execute("DELETE FROM t"); });
    CHECK_THAT(out.str(), Catch::Contains("lockstep: begin (depth 1)") &&
                              Catch::Contains("1 row DELETE FROM t") &&
                              Catch::Contains("lockstep: commit (depth 1)"));
    int slow = 0;
    f.db.set_tracer(std::make_shared<slow_statement_tracer>(
        std::chrono::hours(1), [&](const statement_trace&) { ++slow; }));
    f.db.execute("DELETE FROM t");
    CHECK(slow == 0);
    f.db.set_tracer(std::make_shared<slow_statement_tracer>(
        std::chrono::nanoseconds(0), [&](const statement_trace&) { ++slow; }));
    f.db.execute("DELETE FROM t");
    CHECK(slow == 1);
    f.db.set_tracer(nullptr);
    f.db.execute("DELETE FROM t");
    CHECK(slow == 1);
}

TEST_CASE("A pool installs its tracer on every connection it opens", "[trace][pool]") {
    spi::register_driver(std::make_shared<testing::fake_driver>());
    auto counts = std::make_shared<counting_tracer>();
    connection_pool pool("sqlite::memory:", 2, {.tracer = counts});
    {
        auto a = pool.acquire();
        auto b = pool.acquire();
        a->execute("SELECT 1");
        b->execute("SELECT 1");
    }
    CHECK(counts->snapshot().statements == 2);
}
