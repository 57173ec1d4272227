// Tests of the PostgreSQL session against a real server (LOCKSTEP_POSTGRESQL_URL, from
// ci/services up); exits 77, which ctest reports as skipped, when no server is configured.
#define CATCH_CONFIG_RUNNER
#include "postgresql/session.hpp"

#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>

using namespace lockstep;

namespace {

postgresql::session open_session() {
    return postgresql::session(parse_connection_url(std::getenv("LOCKSTEP_POSTGRESQL_URL")));
}

} // namespace

TEST_CASE("COMMIT of a transaction the server aborted is reported as a failure, never success",
          "[postgresql][server]") {
    auto s = open_session();
    s.begin(isolation_level::engine_default);
    CHECK_THROWS_AS(s.query("SELECT 1 / 0", {}), data_error);
    CHECK(s.in_transaction()); // aborted, but still a transaction until it ends
    CHECK_THROWS_AS(s.commit(), error);
    CHECK_FALSE(s.in_transaction());
}

TEST_CASE("ROLLBACK TO SAVEPOINT recovers a transaction the server aborted",
          "[postgresql][server]") {
    auto s = open_session();
    s.begin(isolation_level::engine_default);
    s.create_savepoint("lockstep_sp_1");
    CHECK_THROWS_AS(s.query("SELECT 1 / 0", {}), data_error);
    s.rollback_to_savepoint("lockstep_sp_1");
    s.release_savepoint("lockstep_sp_1");
    CHECK(s.query("SELECT 41 + 1", {}).at(0).at(0) == value(std::int64_t{42}));
    CHECK_NOTHROW(s.commit());
}

TEST_CASE("Text bound where the server expects another type is sent for the server to parse",
          "[postgresql][server]") {
    auto s = open_session();
    const std::array<param, 1> params{std::string_view("41")};
    CHECK(s.query("SELECT CAST(? AS integer) + 1", params).at(0).at(0) == value(std::int64_t{42}));
}

TEST_CASE("A wrong password is a connection_error whose message hides the password",
          "[postgresql][server]") {
    auto url = parse_connection_url(std::getenv("LOCKSTEP_POSTGRESQL_URL"));
    url.password = "wrong-password-1234";
    url.has_password = true;
    try {
        postgresql::session s(url);
        FAIL("the login succeeded");
    } catch (const connection_error& e) {
        CHECK(std::string(e.what()).find("wrong-password-1234") == std::string::npos);
    }
}

int main(int argc, char* argv[]) {
    const char* url = std::getenv("LOCKSTEP_POSTGRESQL_URL");
    if (url == nullptr || *url == '\0') {
        std::cout << "LOCKSTEP_POSTGRESQL_URL is not set (run ci/services up); skipping.\n";
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
