// The seed scenario from the README, compiled and run as a test so the README cannot drift.
// SPDX-License-Identifier: MIT
#include <cassert>
#include <iostream>
#include <lockstep/builtin.hpp>
#include <lockstep/lockstep.hpp>

struct Author {
    std::int64_t id = 0;
    std::string name;
};

struct Profile {
    std::int64_t id = 0;
    std::int64_t author_id = 0;
};

const lockstep::table<Author> authors{
    "author", lockstep::primary_key<&Author::id>("id"),
    lockstep::column<&Author::name>("name", lockstep::max_length(100))};
const lockstep::table<Profile> profiles{
    "profile", lockstep::primary_key<&Profile::id>("id"),
    lockstep::foreign_key<&Profile::author_id>("author_id", authors, lockstep::on_delete::cascade)};

int main() {
    lockstep::register_builtin_drivers();
    auto db = lockstep::connection::open("sqlite::memory:");
    db.create_tables(authors, profiles);

    auto create_profile =
        lockstep::post_save.connect(authors, [](const lockstep::saved<Author>& e) {
            if (e.created)
                e.db.add(profiles, Profile{.author_id = e.instance.id}); // its key: unread
        });

    try {
        lockstep::atomic(db, [&] {
            db.insert(authors, Author{.name = "Ada"}); // the receiver inserts a Profile
            throw std::runtime_error("boom");
        });
    } catch (const std::runtime_error&) {
    }

    std::cout << "authors: " << db.count(authors) << ", profiles: " << db.count(profiles) << '\n';
    return db.count(authors) == 0 && db.count(profiles) == 0 ? 0 : 1;
}
