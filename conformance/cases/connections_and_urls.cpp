// Connections and URLs: configuration errors, and what a second connection sees (semantics 5.7,
// 8.1-8.2; oracle scenarios 91-92).
// SPDX-License-Identifier: MIT
#include "common.hpp"

#include <algorithm>
#include <mutex>

using namespace conformance;
using lockstep::atomic;

TEST_CASE("An unknown scheme raises configuration_error listing the engines", "[url]") {
    fixture fx; // the engine under test is reachable; the URL below is not
    try {
        lockstep::connection::open("postgress://app:hunter2@localhost/app");
        FAIL("an unknown scheme was accepted");
    } catch (const lockstep::configuration_error& e) {
        fx.log("raised configuration_error");
        CHECK_THAT(e.what(), Catch::Contains("postgress") && Catch::Contains("sqlite"));
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
}

TEST_CASE("A malformed URL raises configuration_error without the password", "[url]") {
    fixture fx;
    CHECK(error_class_of([] { lockstep::connection::open("mysql://root:hunter2@[::1/db"); }) ==
          "configuration_error");
    try {
        lockstep::connection::open("postgresql://root:hunter2@localhost:99999/db");
        FAIL("a bad port was accepted");
    } catch (const lockstep::configuration_error& e) {
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
}

TEST_CASE("An unknown URL option raises configuration_error", "[url]") {
    fixture fx;
    const auto url = database_url() + (database_url().find('?') == std::string::npos ? "?" : "&") +
                     "no_such_option=1";
    CHECK(error_class_of([&] { lockstep::connection::open(url); }) == "configuration_error");
}

TEST_CASE("An option value of the wrong type raises configuration_error and cannot reach a "
          "connect string",
          "[url]") {
    // connect_timeout=abc escaped as std::invalid_argument on MySQL; "5 dbname=postgres"
    // reached SOCI's connect string and chose another database (semantics 8.1).
    fixture fx;
    const auto with = [](const std::string& option) {
        return database_url() + (database_url().find('?') == std::string::npos ? "?" : "&") +
               option;
    };
    for (const char* option :
         {"lock_timeout=abc", "lock_timeout=-5", "connect_timeout=abc",
          "connect_timeout=5%20dbname%3Dpostgres", "isolation=chaos", "read_timeout=abc"}) {
        INFO(option);
        CHECK(error_class_of([&] { lockstep::connection::open(with(option)); }) ==
              "configuration_error");
    }
}

TEST_CASE("A second connection does not see uncommitted rows, receivers' rows included, until "
          "commit",
          "[connection][signals]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "an in-memory database is private to one connection");
    auto sub = connect_child_creator(fx);
    auto observer = fx.second_connection();
    atomic(fx.db, [&] {
        create_main(fx, "x");
        CHECK(observer.count(fx.s.main) == 0);
        CHECK(observer.count(fx.s.sig) == 0);
    });
    CHECK(observer.count(fx.s.main) == 1);
    CHECK(observer.count(fx.s.sig) == 1);
}

TEST_CASE("A receiver that writes through another connection writes outside the caller's "
          "transaction",
          "[connection][signals]") {
    fixture fx;
    LOCKSTEP_REQUIRE_FEATURE(fx.can_open_second_connection(),
                             "an in-memory database is private to one connection");
    LOCKSTEP_REQUIRE_FEATURE(fx.db.features().supports_concurrent_writers,
                             "the engine has one writer at a time, so the side write would wait "
                             "for the caller's lock");
    auto side = fx.second_connection();
    auto sub = lockstep::post_save.connect(fx.s.main, [&](const lockstep::saved<main_model>& e) {
        side.insert(fx.s.audit, audit_log{.action = "side write for " + e.instance.name});
    });
    CHECK(error_class_of([&] {
              atomic(fx.db, [&] {
                  create_main(fx, "x");
                  throw boom();
              });
          }) == "boom");
    CHECK(fx.names().empty());
    CHECK(fx.actions() == strings{"side write for x"});
}

TEST_CASE("The engine reports its name, version and capabilities", "[connection]") {
    fixture fx;
    CHECK_FALSE(fx.db.engine_name().empty());
    CHECK_FALSE(fx.db.server_version().empty());
    CHECK(fx.db.features().supports_savepoints);
    fx.log(std::string("engine reachable"));
}

TEST_CASE("An isolation level named in the URL is accepted; an unknown one raises "
          "configuration_error",
          "[url][atomic]") {
    fixture fx;
    const auto separator = database_url().find('?') == std::string::npos ? "?" : "&";
    auto db = lockstep::connection::open(database_url() + separator + "isolation=serializable");
    const auto one = lockstep::atomic(
        db, [&] { return lockstep::as_integer(db.query("SELECT 1").at(0).at(0)); });
    CHECK(one == 1);
    CHECK(error_class_of([&] {
              lockstep::connection::open(database_url() + separator + "isolation=sometimes");
          }) == "configuration_error");
}

TEST_CASE("A slow_statement_ms URL option sends slow statements to the log sink; a bad value "
          "raises configuration_error",
          "[url][trace]") {
    fixture fx;
    const auto separator = database_url().find('?') == std::string::npos ? "?" : "&";
    std::vector<std::string> logged;
    std::mutex logged_mutex;
    lockstep::set_log_sink([&](lockstep::log_level level, std::string_view message) {
        const std::lock_guard lock(logged_mutex);
        if (level == lockstep::log_level::warning)
            logged.emplace_back(message);
    });
    {
        // 0 ms: every statement is slow enough, so the SELECT must be reported.
        auto db = lockstep::connection::open(database_url() + separator + "slow_statement_ms=0");
        db.query("SELECT 1");
    }
    {
        // An hour: nothing is.
        auto db =
            lockstep::connection::open(database_url() + separator + "slow_statement_ms=3600000");
        db.query("SELECT 2");
    }
    lockstep::set_log_sink({});
    const auto mentions = [&](const std::string& sql) {
        return std::count_if(logged.begin(), logged.end(), [&](const std::string& m) {
            return m.find("slow statement") != std::string::npos && m.ends_with(sql);
        });
    };
    CHECK(mentions("SELECT 1") == 1);
    CHECK(mentions("SELECT 2") == 0);
    for (const auto* bad : {"slow_statement_ms=fast", "slow_statement_ms=-5", "slow_statement_ms="})
        CHECK(error_class_of([&] {
                  lockstep::connection::open(database_url() + separator + bad);
              }) == "configuration_error");
    fx.log("slow statements logged: " + std::to_string(mentions("SELECT 1")));
}

TEST_CASE("A multi-host URL passes over a host that does not answer and connects to the next",
          "[connection][cluster]") {
    fixture fx;
    const auto url = lockstep::parse_connection_url(database_url());
    if (url.is_soci() || (url.engine() != "postgresql" && url.engine() != "mysql") ||
        url.host.starts_with("/"))
        LOCKSTEP_SKIP("only native postgresql:// and mysql:// URLs over TCP list several hosts");
    // Port 1 on loopback refuses at once: the first host is down, the second is the target.
    auto text = database_url();
    text.insert(text.find('@') + 1, "127.0.0.1:1,");
    auto db = lockstep::connection::open(text);
    CHECK(db.target_name() == fx.db.target_name());
    const auto one = lockstep::atomic(
        db, [&] { return lockstep::as_integer(db.query("SELECT 1").at(0).at(0)); });
    CHECK(one == 1);
    fx.log("connected past the host that did not answer");
    // Every host down: connection_error, naming no password.
    auto all_down = database_url();
    const auto at = all_down.find('@') + 1;
    all_down.replace(at, all_down.find('/', at) - at, "127.0.0.1:1,127.0.0.1:2");
    CHECK(error_class_of([&] { lockstep::connection::open(all_down); }) == "connection_error");
}
