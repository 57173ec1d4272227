// Unit tests of the connection pool, over a driver of fake sessions.
// SPDX-License-Identifier: MIT
#include "lockstep/pool.hpp"

#include "lockstep/atomic.hpp"
#include "lockstep/spi/driver.hpp"
#include "testing/fake_session.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace lockstep;

using testing::fake_driver;

TEST_CASE("A pool reuses a returned connection instead of opening another", "[pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 2);
    { auto db = pool.acquire(); }
    { auto db = pool.acquire(); }
    CHECK(driver->opened == 1);
    CHECK(pool.size() == 1);
    CHECK(pool.idle() == 1);
}

TEST_CASE("A pool never hands back a connection returned inside an atomic block", "[pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 2);
    {
        auto db = pool.acquire();
        // Misuse on purpose: the handle is destroyed while its block is still open.
        lockstep::detail::connection_access::transactions(*db).open_block({});
    }
    CHECK(pool.size() == 0);
    auto fresh = pool.acquire();
    CHECK_FALSE(fresh->in_atomic_block());
    CHECK(driver->opened == 2);
}

TEST_CASE("A pool at its size limit makes callers wait, then times out", "[pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 1);
    auto held = pool.acquire();
    CHECK_THROWS_AS(pool.acquire(std::chrono::milliseconds(20)), connection_error);
    std::thread releaser([h = std::move(held)]() mutable { auto gone = std::move(h); });
    auto next = pool.acquire(std::chrono::seconds(5));
    releaser.join();
    CHECK(driver->opened == 1);
}

TEST_CASE("A pool refuses read replicas for an engine that cannot tell how far a replica is",
          "[pool]") {
    CHECK_THROWS_WITH(connection_pool("sqlite::memory:", 2, {.replicas = {"sqlite::memory:"}}),
                      Catch::Contains("Read replicas need a PostgreSQL or Galera"));
}

TEST_CASE("Without replicas, a pool's read is served by the primary", "[pool]") {
    auto driver = std::make_shared<fake_driver>();
    spi::register_driver(driver);
    connection_pool pool("sqlite::memory:", 1);
    auto r = pool.read();
    CHECK_FALSE(r.from_replica());
    CHECK(r.redacted_url() == "sqlite::memory:");
    CHECK(pool.size() == 1);
}
