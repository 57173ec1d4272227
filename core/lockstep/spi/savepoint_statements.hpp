// The SAVEPOINT, RELEASE and ROLLBACK TO statements of each savepoint name a session has seen,
// built once per name, each with a slot for the backend's prepared statement.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::spi {

/// Which of a savepoint's three statements.
enum class savepoint_step : std::size_t {
    create,     ///< SAVEPOINT name
    release,    ///< RELEASE SAVEPOINT name
    rollback_to ///< ROLLBACK TO SAVEPOINT name
};

/// The statements of every savepoint name used on one session, each as its text and a
/// `Handle` the backend fills at first use (its prepared statement). Names come from the core,
/// one per nesting depth (semantics 1.6), so the list stays short: `find` searches it by name,
/// and `at_index` goes straight to the entry of a stack index it has met before. Entries are
/// held by pointer: texts and handles never move.
///
/// Example:
///
///     auto& s = savepoints_.find(name, spi::savepoint_step::release);
///     if (!s.handle)
///         s.handle = prepare(s.text);
template <class Handle> class savepoint_statements {
public:
    /// One of a savepoint's statements.
    struct statement {
        Handle handle{};  ///< the backend's prepared statement; empty until it first fills it
        std::string text; ///< its SQL, e.g. `RELEASE SAVEPOINT ls1`; stays at its address
    };

    /// Statement `step` of savepoint `name`, added with its texts on the name's first use.
    statement& find(std::string_view name, savepoint_step step) {
        return find_entry(name).statements[static_cast<std::size_t>(step)];
    }

    /// Statement `step` of the savepoint at the core's stack index `index`, named `name`: the
    /// core names each index once for the session's life (semantics 1.6), so the index finds it
    /// without comparing names (session::run_savepoint). The first call for an index finds or
    /// adds `name` and remembers it there.
    statement& at_index(std::size_t index, std::string_view name, savepoint_step step) {
        const auto i = static_cast<std::size_t>(step);
        if (index < by_index_.size() && by_index_[index] != nullptr) [[likely]] {
            assert(by_index_[index]->name == name);
            return by_index_[index]->statements[i];
        }
        return remember_index(index, name).statements[i];
    }

    /// Forgets every name and handle (a backend whose handles must go before its connection).
    void clear() noexcept {
        by_index_.clear();
        entries_.clear();
    }

private:
    // A savepoint op reads the name it is found by and one statement: the name and the first
    // statement's handle and text pointer share the entry's first cache line, the second
    // statement sits in the next, and a text's characters are read only to prepare its handle
    // or to report a failure. Savepoint workloads fill the level-1 data cache with the engine's
    // own page copies, so a line spared here keeps one of the engine's (docs/performance.md,
    // "Why W3r reads worst").
    struct entry {
        alignas(64) std::string name;
        std::array<statement, 3> statements;
    };
    entry& find_entry(std::string_view name) {
        for (const auto& e : entries_)
            if (e->name == name)
                return *e;
        return add(name);
    }
    entry& remember_index(std::size_t index, std::string_view name) {
        auto& e = find_entry(name);
        if (by_index_.size() <= index)
            by_index_.resize(index + 1, nullptr);
        by_index_[index] = &e;
        return e;
    }
    entry& add(std::string_view name) {
        const std::string n(name);
        auto e = std::make_unique<entry>();
        e->name = n;
        e->statements[0].text = "SAVEPOINT " + n;
        e->statements[1].text = "RELEASE SAVEPOINT " + n;
        e->statements[2].text = "ROLLBACK TO SAVEPOINT " + n;
        entries_.push_back(std::move(e));
        return *entries_.back();
    }
    std::vector<std::unique_ptr<entry>> entries_;
    std::vector<entry*> by_index_; // entries_ by the core's stack index, as at_index met them
};

} // namespace lockstep::spi
