// Unit tests of connection URL parsing: every documented form, and errors that hide passwords.
// SPDX-License-Identifier: MIT
#include "lockstep/connection_url.hpp"

#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

using namespace lockstep;

TEST_CASE("SQLite URLs name an in-memory database or a file path", "[url]") {
    CHECK(parse_connection_url("sqlite::memory:").database == ":memory:");
    CHECK(parse_connection_url("sqlite://:memory:").database == ":memory:");
    CHECK(parse_connection_url("sqlite:///tmp/a.db").database == "/tmp/a.db");
    CHECK(parse_connection_url("sqlite://data/a.db").database == "data/a.db");
    CHECK(parse_connection_url("sqlite3:///tmp/a%20b.db").database == "/tmp/a b.db");
    const auto url = parse_connection_url("sqlite:///tmp/a.db?begin=immediate&busy_timeout=100");
    CHECK(url.engine() == "sqlite");
    CHECK(url.option("begin") == "immediate");
    CHECK(url.option("busy_timeout") == "100");
    CHECK_FALSE(url.option("missing"));
}

TEST_CASE("Server URLs carry user, password, host, port, database and options", "[url]") {
    const auto url =
        parse_connection_url("postgresql://app:s%40cret@db.example:5433/shop?sslmode=disable");
    CHECK(url.engine() == "postgresql");
    CHECK(url.user == "app");
    CHECK(url.password == "s@cret");
    CHECK(url.has_password);
    CHECK(url.host == "db.example");
    CHECK(url.port == 5433);
    CHECK(url.database == "shop");
    CHECK(url.option("sslmode") == "disable");
}

TEST_CASE("IPv6 hosts are written in brackets and socket directories percent-encoded", "[url]") {
    const auto v6 = parse_connection_url("mysql://root@[::1]:3306/test");
    CHECK(v6.host == "::1");
    CHECK(v6.port == 3306);
    CHECK(v6.engine() == "mysql");
    const auto socket = parse_connection_url("postgres://me@%2Frun%2Fpostgresql/app");
    CHECK(socket.host == "/run/postgresql");
    CHECK(socket.engine() == "postgresql");
    CHECK_FALSE(socket.port);
}

TEST_CASE("SOCI URLs put soci+ in front of the native form", "[url]") {
    const auto memory = parse_connection_url("soci+sqlite3://:memory:");
    CHECK(memory.is_soci());
    CHECK(memory.engine() == "sqlite");
    CHECK(memory.database == ":memory:");
    const auto pg = parse_connection_url("soci+postgresql://u:p@127.0.0.1:5432/db");
    CHECK(pg.is_soci());
    CHECK(pg.engine() == "postgresql");
    CHECK(pg.scheme == "soci+postgresql");
    CHECK(parse_connection_url("soci+odbc://dsn/x").engine() == "odbc");
}

TEST_CASE("A redacted URL never shows the password", "[url]") {
    const auto url = parse_connection_url("mysql://app:hunter2@localhost:3306/db?password=hunter2");
    const auto text = url.redacted();
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(text == "mysql://app:***@localhost:3306/db?password=***");
    CHECK(redact_url_text("postgresql://u:hunter2@h:99999/d").find("hunter2") == std::string::npos);
}

TEST_CASE("Malformed URLs raise configuration_error that names the expected forms", "[url]") {
    CHECK_THROWS_AS(parse_connection_url(""), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("no-scheme"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("postgresql:host/db"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("postgresql://h:0/db"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("postgresql://h:70000/db"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("postgresql://h:port/db"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("mysql://[::1/db"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("mysql://::1/db"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("sqlite://"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("sqlite:///a%zz.db"), configuration_error);
    CHECK_THROWS_WITH(parse_connection_url("postgresql://u:hunter2@h:bad/d"),
                      !Catch::Contains("hunter2") && Catch::Contains("port"));
}

TEST_CASE("An unknown scheme raises configuration_error listing the engines Lockstep knows",
          "[url]") {
    CHECK_THROWS_WITH(parse_connection_url("postgress://u:hunter2@db/app"),
                      Catch::Contains("unknown engine \"postgress\"") &&
                          Catch::Contains("sqlite, postgresql, mysql") &&
                          !Catch::Contains("hunter2"));
}

TEST_CASE("A password with an unencoded '/', '?' or '@' never reaches a message", "[url]") {
    for (const std::string password :
         {"pa/ss9wq", "pa?ss9wq", "p@ss/9wq", "p@ss?9wq", "a/b?c@d9", "9wq@@//??", "x:9wq/y"}) {
        for (const std::string scheme : {"postgresql", "mysql", "soci+postgresql", "soci+mysql"}) {
            const auto text = scheme + "://app:" + password + "@db.example:5432/app";
            INFO(text);
            try {
                const auto url = parse_connection_url(text);
                // Parsed: the password is whole, and the printable form hides it.
                CHECK(url.password == password);
                CHECK(url.redacted().find(password) == std::string::npos);
            } catch (const configuration_error& e) {
                CHECK(std::string(e.what()).find(password) == std::string::npos);
                CHECK(std::string(e.what()).find("9wq") == std::string::npos);
            }
            CHECK(redact_url_text(text).find("9wq") == std::string::npos);
        }
    }
}

TEST_CASE("Password options are masked whatever their case", "[url]") {
    CHECK(redact_url_text("postgresql://h/d?PASSWORD=s3cr3t&x=1") ==
          "postgresql://h/d?PASSWORD=***&x=1");
    CHECK(redact_url_text("postgresql://h/d?sslpassword=s3cr3t").find("s3cr3t") ==
          std::string::npos);
    const auto url = parse_connection_url("postgresql://h/d?PassWord=s3cr3t&sslmode=disable");
    CHECK(url.redacted() == "postgresql://h/d?PassWord=***&sslmode=disable");
    CHECK(redact_url_text("user:s3cr3t@host").find("s3cr3t") == std::string::npos);
}

TEST_CASE("An '@' after the host is refused: it means a password was split in the wrong place",
          "[url]") {
    CHECK_THROWS_WITH(parse_connection_url("postgresql://u:pw/x@host/db"),
                      Catch::Contains("%40") && !Catch::Contains("pw/x"));
    CHECK_THROWS_AS(parse_connection_url("postgresql://u:123?x@host"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("postgresql://u:p@ss/x@host"), configuration_error);
    CHECK(parse_connection_url("postgresql://u:p%40ss%2Fx@host/db").password == "p@ss/x");
    CHECK(parse_connection_url("sqlite:///tmp/a@b.db").database == "/tmp/a@b.db");
}

TEST_CASE("A percent-encoded NUL is refused instead of cutting the value short", "[url]") {
    CHECK_THROWS_WITH(parse_connection_url("sqlite:///x%00.db"), Catch::Contains("%00"));
    CHECK_THROWS_AS(parse_connection_url("postgresql://u:a%00b@h/d"), configuration_error);
}

TEST_CASE("No randomly built URL puts its password into a parse error or a redacted form",
          "[url][fuzz]") {
    // A property test beside the libFuzzer harness (fuzz/url_parser.fuzz.cpp): passwords of
    // characters a URL treats specially, in every position of every form.
    std::mt19937 rng(20261130);
    const std::string alphabet = "/?@:#&=%[]!$'()*+,;~ aZ09";
    const std::vector<std::string> schemes = {"postgresql", "mysql", "soci+mysql", "mariadb"};
    for (int i = 0; i < 5000; ++i) {
        std::string password = "Q7z"; // a marker no other part of the URL contains
        const auto length = rng() % 12;
        for (std::size_t j = 0; j < length; ++j)
            password += alphabet[rng() % alphabet.size()];
        password += "K4v";
        const auto& scheme = schemes[rng() % schemes.size()];
        std::string text = scheme + "://app:" + password + "@h:5432/d";
        if (rng() % 2)
            text += "?sslmode=disable";
        INFO(text);
        try {
            const auto url = parse_connection_url(text);
            CHECK(url.redacted().find("Q7z") == std::string::npos);
            CHECK(url.redacted().find("K4v") == std::string::npos);
        } catch (const configuration_error& e) {
            CHECK(std::string(e.what()).find("Q7z") == std::string::npos);
            CHECK(std::string(e.what()).find("K4v") == std::string::npos);
        }
    }
}

TEST_CASE("A multi-host URL lists a cluster's nodes in order, redacted without the password",
          "[url]") {
    const auto url = parse_connection_url("mysql://app:s3cret@db1:3306,db2,[::1]:3308/shop");
    CHECK(url.host == "db1");
    CHECK(url.port == 3306);
    REQUIRE(url.more_hosts.size() == 2);
    CHECK(url.more_hosts[0].host == "db2");
    CHECK_FALSE(url.more_hosts[0].port.has_value());
    CHECK(url.more_hosts[1].host == "::1");
    CHECK(url.more_hosts[1].port == 3308);
    CHECK(url.database == "shop");
    CHECK(url.redacted() == "mysql://app:***@db1:3306,db2,[::1]:3308/shop");
    CHECK(parse_connection_url("postgresql://u@a:5432,b:5433/d").more_hosts.size() == 1);
}

TEST_CASE("A host list is refused where the engine cannot use it or an entry is empty", "[url]") {
    CHECK_THROWS_AS(parse_connection_url("soci+mysql://u@a:1,b:2/d"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("mysql://u@a:1,,b:2/d"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("mysql://u@a:1,b:99999/d"), configuration_error);
    CHECK_THROWS_AS(parse_connection_url("mysql://u@%2Ftmp%2Fs,b:2/d"), configuration_error);
}
