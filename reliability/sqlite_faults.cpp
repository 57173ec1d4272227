// SQLite faults injected for real: a full disk (a small tmpfs), a read-only file system, a
// database locked by another process, a damaged file. Each raises its documented class and leaves
// every committed row intact (docs/reliability.md). Cases needing a mount run as root only and
// exit 77 (ctest: skipped) otherwise; ctest runs each case on its own.
// SPDX-License-Identifier: MIT
#include "fault_support.hpp"

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <lockstep/lockstep.hpp>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lockstep;
using namespace reliability;
namespace fs = std::filesystem;

namespace {

/// A tmpfs of `kib` KiB mounted on a fresh directory for the case's life; the case is skipped
/// (exit 77) where mounting is not allowed.
class small_disk {
public:
    explicit small_disk(int kib) : dir_(fresh_directory("disk")) {
        if (::geteuid() != 0)
            skip_case("mounting a small tmpfs needs root");
        const auto options = "size=" + std::to_string(kib) + "k";
        if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0)
            skip_case("this machine does not allow mounting a tmpfs");
    }
    ~small_disk() {
        ::umount2(dir_.c_str(), MNT_DETACH);
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    const fs::path& dir() const { return dir_; }
    void make_read_only() {
        REQUIRE(::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0);
    }

private:
    fs::path dir_;
};

std::int64_t integrity_problems(connection& db) {
    const auto rows = db.query("PRAGMA integrity_check");
    return rows.size() == 1 && as_text(rows[0][0]) == "ok" ? 0
                                                           : static_cast<std::int64_t>(rows.size());
}

} // namespace

TEST_CASE("A full disk raises resource_error, keeps every committed pair and leaves the file "
          "intact; after space is freed the connection goes on",
          "[reliability][sqlite]") {
    for (const char* journal : {"delete", "wal"}) {
        INFO("journal_mode=" << journal);
        small_disk disk(768);
        const auto filler = disk.dir() / "filler";
        { std::ofstream(filler) << std::string(160 * 1024, 'f'); } // room to free later
        auto db = connection::open("sqlite://" + (disk.dir() / "full.db").string() +
                                   "?journal_mode=" + journal);
        pair_schema s("full");
        db.create_tables(s.parents, s.children);
        auto receiver = s.connect_child_writer();
        std::int64_t acknowledged = 0;
        std::string failure;
        const std::string payload(2000, 'p');
        for (int i = 0; i < 5000 && failure.empty(); ++i) {
            try {
                atomic(db,
                       [&] { db.insert(s.parents, parent{.name = payload + std::to_string(i)}); });
                ++acknowledged;
            } catch (const error& e) {
                failure = e.kind();
            }
        }
        CHECK(failure == "resource_error");
        CHECK(acknowledged > 10);
        CHECK(db.is_usable());
        CHECK(db.count(s.parents) == acknowledged);
        CHECK(db.count(s.children) == acknowledged); // no half pair
        CHECK(integrity_problems(db) == 0);
        fs::remove(filler);
        atomic(db, [&] { db.insert(s.parents, parent{.name = "after freeing space"}); });
        CHECK(db.count(s.children) == acknowledged + 1);
        report("sqlite disk full (" + std::string(journal) + ")",
               std::to_string(acknowledged) + " blocks committed before the disk filled");
    }
}

TEST_CASE("A read-only file system raises statement_error naming the file; reads still work",
          "[reliability][sqlite]") {
    small_disk disk(1024);
    const auto path = disk.dir() / "ro.db";
    pair_schema s("ro");
    {
        auto db = connection::open("sqlite://" + path.string() + "?journal_mode=delete");
        db.create_tables(s.parents, s.children);
        db.insert(s.parents, parent{.name = "kept"});
    }
    disk.make_read_only();
    auto db = connection::open("sqlite://" + path.string() + "?journal_mode=delete");
    try {
        db.insert(s.parents, parent{.name = "refused"});
        FAIL("the write succeeded on a read-only file system");
    } catch (const statement_error& e) {
        CHECK_THAT(e.what(), Catch::Contains("read-only") && Catch::Contains(path.string()) &&
                                 !Catch::Contains("syntax"));
    }
    CHECK(db.count(s.parents) == 1);
}

TEST_CASE("A database locked by another process raises transaction_conflict after the lock "
          "timeout, and nothing is half-written",
          "[reliability][sqlite]") {
    const auto dir = fresh_directory("busy");
    const auto url = "sqlite://" + (dir / "busy.db").string();
    pair_schema s("busy");
    {
        auto db = connection::open(url);
        db.create_tables(s.parents, s.children);
    }
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t holder = ::fork();
    REQUIRE(holder >= 0);
    if (holder == 0) { // another process: takes the write lock and holds it for a while
        try {
            auto db = connection::open(url + "?begin=exclusive");
            auto receiver = s.connect_child_writer();
            atomic(db, [&] {
                db.insert(s.parents, parent{.name = "holder"});
                (void)!::write(ready[1], "x", 1);
                std::this_thread::sleep_for(std::chrono::milliseconds(1500));
            });
            ::_exit(0);
        } catch (...) {
            ::_exit(1);
        }
    }
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    auto db = connection::open(url + "?lock_timeout=200&begin=immediate");
    auto receiver = s.connect_child_writer();
    const auto kind =
        error_kind_of([&] { atomic(db, [&] { db.insert(s.parents, parent{.name = "waiter"}); }); });
    CHECK(kind == "transaction_conflict");
    int status = 0;
    REQUIRE(::waitpid(holder, &status, 0) == holder);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    retry(
        db, [&] { db.insert(s.parents, parent{.name = "waiter"}); }, 5);
    CHECK(db.count(s.parents) == 2);
    CHECK(db.count(s.children) == 2);
    ::close(ready[0]);
    ::close(ready[1]);
    fs::remove_all(dir);
}

TEST_CASE("A damaged database file raises engine_error naming the file and advising a backup",
          "[reliability][sqlite]") {
    const auto dir = fresh_directory("corrupt");
    const auto path = dir / "corrupt.db";
    pair_schema s("corrupt");
    {
        auto db = connection::open("sqlite://" + path.string());
        db.create_tables(s.parents, s.children);
        for (int i = 0; i < 200; ++i)
            db.insert(s.parents, parent{.name = std::string(500, 'a') + std::to_string(i)});
    }
    SECTION("a damaged header") {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.write("this is not an SQLite header at all", 35);
        f.close();
        try {
            auto db = connection::open("sqlite://" + path.string());
            db.count(s.parents);
            FAIL("a damaged file opened");
        } catch (const engine_error& e) {
            CHECK_THAT(e.what(), Catch::Contains(path.string()) && Catch::Contains("backup") &&
                                     !Catch::Contains("open a new one"));
        }
    }
    SECTION("damaged pages in the middle") {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        const std::string garbage(4096, '\xA5');
        for (std::streamoff page = 3; page < 20; ++page) {
            f.seekp(page * 4096);
            f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
        }
        f.close();
        auto db = connection::open("sqlite://" + path.string());
        const auto kind = error_kind_of([&] { (void)db.find(s.parents); });
        CHECK(kind == "engine_error");
    }
    fs::remove_all(dir);
}
