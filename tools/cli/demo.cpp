// `lockstep demo`: the seed scenario. A post_save receiver creates a child row inside the
// caller's atomic block, the block throws, and neither row exists afterwards.
// SPDX-License-Identifier: MIT
#include "commands.hpp"

#include <filesystem>
#include <iostream>
#include <lockstep/lockstep.hpp>
#include <unistd.h>

namespace lockstep::cli {
namespace {

struct main_model {
    std::int64_t id = 0;
    std::string name;
};

struct signal_model {
    std::int64_t id = 0;
    std::int64_t main_id = 0;
    std::string message;
};

const char* python_bool(bool value) {
    return value ? "True" : "False";
}

} // namespace

int demo(const std::string& given_url) {
    std::filesystem::path temp_dir;
    std::string url = given_url;
    if (url.empty()) {
        temp_dir = std::filesystem::temp_directory_path() /
                   ("lockstep-demo-" + std::to_string(::getpid()));
        std::filesystem::create_directories(temp_dir);
        url = "sqlite://" + (temp_dir / "demo.db").string();
    }

    // Table names carry the process id, so the demo never touches a user's own tables.
    const auto suffix = "_" + std::to_string(::getpid());
    const table<main_model> main_models{
        "lockstep_demo_main" + suffix,
        {primary_key(&main_model::id, "id"), column(&main_model::name, "name", max_length(100))}};
    const table<signal_model> signal_models{
        "lockstep_demo_signal" + suffix,
        {primary_key(&signal_model::id, "id"),
         foreign_key(&signal_model::main_id, "main_model_id", main_models, on_delete::cascade),
         column(&signal_model::message, "message", max_length(100))}};

    auto db = connection::open(url);
    db.create_tables(main_models, signal_models);

    auto receiver = post_save.connect(main_models, [&](const saved<main_model>& e) {
        if (e.created)
            e.db.insert(signal_models, signal_model{.main_id = e.instance.id, .message = "hello"});
    });
    try {
        atomic(db, [&] {
            db.insert(main_models, main_model{.name = "seed"});
            throw std::runtime_error("boom");
        });
    } catch (const std::runtime_error&) {
        // The seed scenario's exception; the block has rolled back by now.
    }
    const bool main_exists = db.exists(main_models);
    const bool signal_exists = db.exists(signal_models);
    db.drop_tables(main_models, signal_models);
    if (!temp_dir.empty())
        std::filesystem::remove_all(temp_dir);

    std::cout << "MainModel exists: " << python_bool(main_exists) << '\n'
              << "SignalModel exists: " << python_bool(signal_exists) << '\n'
              << "Why: the post_save receiver wrote the SignalModel row through the same "
                 "connection, inside the atomic block that saved the MainModel row, so the "
                 "exception that left the block rolled both back ("
              << db.target_name() << ").\n";
    return main_exists || signal_exists ? 1 : 0;
}

} // namespace lockstep::cli
