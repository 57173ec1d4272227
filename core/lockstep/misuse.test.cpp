// Unit tests of misuse the connection detects (semantics 8.4, 8.5): two threads at once, moved-
// from objects, a connection used after fork, and pooled handles that outlive their pool.
// SPDX-License-Identifier: MIT
#include "lockstep/atomic.hpp"
#include "lockstep/pool.hpp"
#include "lockstep/savepoint.hpp"
#include "lockstep/spi/driver.hpp"
#include "testing/fake_session.hpp"

#include <catch2/catch.hpp>
#include <future>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace lockstep;
using testing::fake_driver;

namespace {

template <class Body> std::string error_kind_of(Body&& body) {
    try {
        body();
    } catch (const error& e) {
        return e.kind();
    }
    return "none";
}

} // namespace

TEST_CASE("A second thread that uses a connection while another is inside a block gets "
          "usage_error and sends nothing",
          "[misuse][threads]") {
    testing::fake_connection f;
    std::promise<void> inside, checked;
    std::string second_thread;
    std::thread other([&] {
        inside.get_future().wait();
        second_thread += error_kind_of([&] { f.db.execute("UPDATE t SET a = 2"); });
        second_thread += " " + error_kind_of([&] { atomic(f.db, [] {}); });
        second_thread += " " + error_kind_of([&] { on_commit(f.db, [] {}); });
        second_thread += " " + error_kind_of([&] { (void)f.db.server_version(); });
        checked.set_value();
    });
    atomic(f.db, [&] {
        f.db.execute("UPDATE t SET a = 1");
        inside.set_value();
        checked.get_future().wait();
        f.db.execute("UPDATE t SET a = 3"); // the owner carries on unharmed
    });
    other.join();
    CHECK(second_thread == "usage_error usage_error usage_error usage_error");
    CHECK(f.session->calls() == std::vector<std::string>{"begin", "execute UPDATE t SET a = 1",
                                                         "execute UPDATE t SET a = 3", "commit"});
    // Used one after the other, threads may share it.
    std::thread([&] { f.db.execute("UPDATE t SET a = 4"); }).join();
    f.db.execute("UPDATE t SET a = 5");
}

TEST_CASE("A moved-from connection raises usage_error instead of dereferencing nothing",
          "[misuse]") {
    testing::fake_connection f;
    connection moved = std::move(f.db);
    CHECK_THROWS_AS(f.db.execute("SELECT 1"), usage_error);
    CHECK_THROWS_AS(atomic(f.db, [] {}), usage_error);
    CHECK_THROWS_AS(on_commit(f.db, [] {}), usage_error);
    CHECK_THROWS_AS(f.db.features(), usage_error);
    CHECK_THROWS_WITH(f.db.engine_name(), Catch::Contains("moved from"));
    CHECK_FALSE(f.db.is_usable());
    CHECK_FALSE(f.db.in_atomic_block());
    CHECK_FALSE(f.db.is_alive());
    moved.execute("SELECT 1"); // the session lives on in the target
}

TEST_CASE("A connection opened before fork refuses to work in the child", "[misuse][fork]") {
    testing::fake_connection f;
    f.db.execute("SELECT 1");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int code = 1;
        try {
            f.db.execute("SELECT 2");
        } catch (const usage_error& e) {
            code = std::string(e.what()).find("forked") != std::string::npos ? 0 : 2;
        } catch (...) {
            code = 3;
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    f.db.execute("SELECT 3"); // the parent's connection is untouched
}

TEST_CASE("A pooled connection that outlives its pool is closed when returned, not freed twice",
          "[misuse][pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    std::optional<pooled_connection> kept;
    {
        connection_pool pool("sqlite::memory:", 2);
        kept.emplace(pool.acquire());
        { auto idle = pool.acquire(); }
        CHECK(pool.idle() == 1);
    }                             // the pool is gone; its idle connection closed
    (*kept)->execute("SELECT 1"); // the borrowed one still works
    kept.reset();                 // and is closed here
    CHECK(driver->opened == 2);
}

TEST_CASE("A moved-from pooled_connection raises usage_error", "[misuse][pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 1);
    auto a = pool.acquire();
    auto b = std::move(a);
    CHECK_FALSE(a);
    CHECK(b);
    CHECK_THROWS_AS(a->execute("SELECT 1"), usage_error);
    CHECK_THROWS_AS(*a, usage_error);
    b->execute("SELECT 1");
}

TEST_CASE("An idle pooled connection whose server went away is replaced before it is handed out",
          "[pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 1, {.check_idle_after = std::chrono::milliseconds(0)});
    { auto db = pool.acquire(); }
    driver->last->go_away(); // the server restarted while the connection was idle
    auto db = pool.acquire();
    CHECK(driver->opened == 2);
    atomic(*db, [&] { db->execute("SELECT 1"); }); // the first block works
    CHECK(pool.size() == 1);
}

TEST_CASE("A recently used pooled connection is handed out without a liveness test", "[pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 1, {.check_idle_after = std::chrono::hours(1)});
    { auto db = pool.acquire(); }
    driver->last->go_away();
    auto db = pool.acquire();
    CHECK(driver->opened == 1); // not tested: the caller's first statement will say
}
