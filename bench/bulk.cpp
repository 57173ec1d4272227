// `lockstep-bench --bulk ROWS`: loading ROWS rows into one table on each URL, four ways: the
// engine's fastest path written by hand (PostgreSQL COPY FROM STDIN, MariaDB multi-row INSERT
// through Connector/C++, SQLite one prepared INSERT in one transaction), Lockstep's bulk_insert,
// and a loop of Lockstep's add in one block. Prints each time and its ratio to the hand-written
// path. Not a test: nothing here asserts a timing.
// SPDX-License-Identifier: MIT
#include "bulk.hpp"

#include "lockstep/lockstep.hpp"

#include <algorithm>
#include <chrono>
#include <cppconn/prepared_statement.h>
#include <cppconn/statement.h>
#include <functional>
#include <iomanip>
#include <iostream>
#include <libpq-fe.h>
#include <memory>
#include <mysql_connection.h>
#include <mysql_driver.h>
#include <sqlite3.h>
#include <stdexcept>
#include <vector>

namespace {

struct bulk_row {
    std::int64_t id = 0;
    std::string name;
};

const lockstep::table<bulk_row>& bulk_table() {
    static const lockstep::table<bulk_row> t{
        "bench_bulk",
        {lockstep::primary_key(&bulk_row::id, "id"),
         lockstep::column(&bulk_row::name, "name", lockstep::max_length(100))}};
    return t;
}

std::vector<bulk_row> make_rows(std::size_t n) {
    std::vector<bulk_row> rows(n);
    for (std::size_t i = 0; i < n; ++i)
        rows[i].name = "row " + std::to_string(i);
    return rows;
}

using pg_connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

// The raw connections are opened once, outside the timed rounds, as Lockstep's is.
pg_connection connect_postgresql(const lockstep::connection_url& url) {
    const auto conninfo = "host=" + url.host + " port=" + std::to_string(url.port.value_or(5432)) +
                          " dbname=" + url.database + " user=" + url.user +
                          " password=" + url.password;
    pg_connection conn(PQconnectdb(conninfo.c_str()), PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK)
        throw std::runtime_error(std::string("raw libpq: ") + PQerrorMessage(conn.get()));
    return conn;
}

void copy_into_postgresql(const pg_connection& conn, const std::vector<bulk_row>& rows) {
    const auto sql = "COPY \"" + bulk_table().name() + "\" (\"name\") FROM STDIN";
    PQclear(PQexec(conn.get(), sql.c_str()));
    std::string buffer;
    for (const auto& row : rows) { // the names hold no tab, newline or backslash to escape
        buffer += row.name;
        buffer += '\n';
        if (buffer.size() > 1 << 16) {
            PQputCopyData(conn.get(), buffer.data(), static_cast<int>(buffer.size()));
            buffer.clear();
        }
    }
    PQputCopyData(conn.get(), buffer.data(), static_cast<int>(buffer.size()));
    PQputCopyEnd(conn.get(), nullptr);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQgetResult(conn.get()), PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
        throw std::runtime_error(std::string("COPY: ") + PQerrorMessage(conn.get()));
}

std::unique_ptr<sql::Connection> connect_mariadb(const lockstep::connection_url& url) {
    sql::ConnectOptionsMap options;
    options["hostName"] =
        sql::SQLString("tcp://" + url.host + ":" + std::to_string(url.port.value_or(3306)));
    options["userName"] = sql::SQLString(url.user);
    options["password"] = sql::SQLString(url.password);
    options["schema"] = sql::SQLString(url.database);
    return std::unique_ptr<sql::Connection>(
        sql::mysql::get_mysql_driver_instance()->connect(options));
}

void insert_into_mariadb(sql::Connection* conn, const std::vector<bulk_row>& rows) {
    std::unique_ptr<sql::Statement> control(conn->createStatement());
    control->execute("START TRANSACTION");
    constexpr std::size_t per_statement = 500;
    const auto text_for = [](std::size_t n) {
        std::string sql = "INSERT INTO `" + bulk_table().name() + "` (`name`) VALUES (?)";
        for (std::size_t i = 1; i < n; ++i)
            sql += ", (?)";
        return sql;
    };
    std::unique_ptr<sql::PreparedStatement> full(conn->prepareStatement(text_for(per_statement)));
    for (std::size_t at = 0; at < rows.size(); at += per_statement) {
        const auto n = std::min(per_statement, rows.size() - at);
        std::unique_ptr<sql::PreparedStatement> last;
        auto* statement = full.get();
        if (n < per_statement) {
            last.reset(conn->prepareStatement(text_for(n)));
            statement = last.get();
        }
        for (std::size_t i = 0; i < n; ++i)
            statement->setString(static_cast<unsigned>(i + 1), rows[at + i].name);
        statement->executeUpdate();
    }
    control->execute("COMMIT");
}

using sqlite_connection = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

sqlite_connection connect_sqlite(const lockstep::connection_url& url) {
    sqlite3* raw = nullptr;
    sqlite3_open(url.database.c_str(), &raw);
    return sqlite_connection(raw, sqlite3_close);
}

void insert_into_sqlite(const sqlite_connection& db, const std::vector<bulk_row>& rows) {
    sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    const auto sql = "INSERT INTO \"" + bulk_table().name() + "\" (\"name\") VALUES (?)";
    sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &insert, nullptr);
    for (const auto& row : rows) {
        sqlite3_bind_text(insert, 1, row.name.data(), static_cast<int>(row.name.size()),
                          SQLITE_STATIC);
        sqlite3_step(insert);
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr);
}

} // namespace

int bulk_mode(const std::vector<std::string>& urls, std::size_t n, int rounds) {
    const auto rows = make_rows(n);
    int status = 0;
    for (const auto& text : urls) {
        const auto url = lockstep::parse_connection_url(text);
        auto db = lockstep::connection::open(text);
        std::string raw_name;
        std::function<void()> raw;
        if (url.is_soci()) {
            std::cout << "\nbulk: " << url.redacted()
                      << ": no hand-written path for SOCI; skipped\n";
            continue;
        }
        pg_connection pg(nullptr, PQfinish);
        std::unique_ptr<sql::Connection> mariadb;
        sqlite_connection sqlite(nullptr, sqlite3_close);
        if (url.engine() == "postgresql") {
            raw_name = "COPY";
            pg = connect_postgresql(url);
            raw = [&] { copy_into_postgresql(pg, rows); };
        } else if (url.engine() == "mysql") {
            raw_name = "multi-row";
            mariadb = connect_mariadb(url);
            raw = [&] { insert_into_mariadb(mariadb.get(), rows); };
        } else {
            raw_name = "C API";
            sqlite = connect_sqlite(url);
            raw = [&] { insert_into_sqlite(sqlite, rows); };
        }
        const std::vector<std::pair<std::string, std::function<void()>>> ways{
            {raw_name, raw},
            {"bulk_insert", [&] { db.bulk_insert(bulk_table(), std::span<const bulk_row>(rows)); }},
            {"add loop",
             [&] {
                 lockstep::atomic(db, [&] {
                     for (const auto& row : rows)
                         db.add(bulk_table(), row);
                 });
             }},
        };
        std::vector<std::vector<double>> seconds(ways.size());
        for (int round = 0; round < rounds; ++round)
            for (std::size_t w = 0; w < ways.size(); ++w) {
                db.drop_tables(bulk_table());
                db.create_tables(bulk_table());
                const auto start = std::chrono::steady_clock::now();
                ways[w].second();
                seconds[w].push_back(
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
                        .count());
                if (db.count(bulk_table()) != static_cast<std::int64_t>(n)) {
                    std::cerr << "bench: " << ways[w].first << " stored " << db.count(bulk_table())
                              << " rows, not " << n << "\n";
                    status = 1;
                }
            }
        db.drop_tables(bulk_table());
        const auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        const double base = median(seconds[0]);
        std::cout << "\nbulk: " << n << " rows, " << rounds << " rounds, " << url.redacted()
                  << "\n";
        for (std::size_t w = 0; w < ways.size(); ++w)
            std::cout << "  " << std::left << std::setw(12) << ways[w].first << std::right
                      << std::fixed << std::setprecision(3) << std::setw(8) << median(seconds[w])
                      << " s   ratio to " << raw_name << " " << std::setprecision(2)
                      << median(seconds[w]) / base << "\n";
        // ways[1] is bulk_insert, ways[2] the loop of add (issue 17's "at least 5x faster").
        std::cout << "  bulk_insert is " << std::setprecision(1)
                  << median(seconds[2]) / median(seconds[1]) << "x faster than the add loop\n";
    }
    return status;
}
