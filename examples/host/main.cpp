// The seed scenario in a separate program built against an installed Lockstep: a post_save
// receiver creates a child row, the block throws, and neither row exists. Prints "ok" and the
// version, or why not. Usage: seed_host URL
// SPDX-License-Identifier: MIT
#include <cstdio>
#include <lockstep/lockstep.hpp>
#include <stdexcept>
#include <string>

#if defined(HOST_WITH_BUILTIN)
#include <lockstep/builtin.hpp>
#endif
#if defined(HOST_WITH_SQLITE)
#include <lockstep/sqlite/driver.hpp>
#endif
#if defined(HOST_WITH_POSTGRESQL)
#include <lockstep/postgresql/driver.hpp>
#endif
#if defined(HOST_WITH_MYSQL)
#include <lockstep/mysql/driver.hpp>
#endif
#if defined(HOST_WITH_SOCI)
#include <lockstep/soci/driver.hpp>
#endif

struct author {
    std::int64_t id = 0;
    std::string name;
};
struct profile {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
};

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seed_host URL\n");
        return 2;
    }
#if defined(HOST_WITH_BUILTIN)
    lockstep::register_builtin_drivers();
#endif
#if defined(HOST_WITH_SQLITE)
    lockstep::sqlite::register_driver();
#endif
#if defined(HOST_WITH_POSTGRESQL)
    lockstep::postgresql::register_driver();
#endif
#if defined(HOST_WITH_MYSQL)
    lockstep::mysql::register_driver();
#endif
#if defined(HOST_WITH_SOCI)
    lockstep::soci::register_driver();
#endif
    const lockstep::table<author> authors{
        "host_author",
        {lockstep::primary_key(&author::id, "id"),
         lockstep::column(&author::name, "name", lockstep::max_length(100))}};
    const lockstep::table<profile> profiles{
        "host_profile",
        {lockstep::primary_key(&profile::id, "id"),
         lockstep::foreign_key(&profile::author_id, "author_id", authors,
                               lockstep::on_delete::cascade)}};
    try {
        auto db = lockstep::connection::open(argv[1]);
        db.drop_tables(authors, profiles);
        db.create_tables(authors, profiles);
        auto create_profile =
            lockstep::post_save.connect(authors, [&](const lockstep::saved<author>& e) {
                if (e.created)
                    e.db.insert(profiles, profile{.id = 0, .author_id = e.instance.id});
            });
        try {
            lockstep::atomic(db, [&] {
                db.insert(authors, author{.id = 0, .name = "Ada"});
                throw std::runtime_error("boom");
            });
        } catch (const std::runtime_error&) {
        }
        const bool ok = db.count(authors) == 0 && db.count(profiles) == 0;
        db.drop_tables(authors, profiles);
        std::printf("%s on %s with Lockstep %s (headers %s)\n", ok ? "ok" : "FAILED",
                    std::string(db.target_name()).c_str(), lockstep::version(),
                    LOCKSTEP_VERSION_STRING);
        return ok ? 0 : 1;
    } catch (const lockstep::error& e) {
        std::fprintf(stderr, "%s: %s\n", e.kind(), e.what());
        return 1;
    }
}
