// The models every conformance case uses, mirroring the Django oracle's app: MainModel,
// SignalModel (its child), UniqueModel and AuditLog, plus two children with other on_delete rules.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <lockstep/table.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace conformance {

/// The cases' own exception, like the oracle's `Boom`.
struct boom : std::runtime_error {
    boom() : std::runtime_error("boom") {}
};

struct main_model {
    std::int64_t id = 0;
    std::string name;
};

struct signal_model {
    std::int64_t id = 0;
    std::int64_t main_id = 0;
    std::string message;
};

struct unique_model {
    std::int64_t id = 0;
    std::string code;
};

struct audit_log {
    std::int64_t id = 0;
    std::string action;
};

/// A child whose key to main becomes NULL when its parent is deleted.
struct note_model {
    std::int64_t id = 0;
    std::optional<std::int64_t> main_id;
    std::string note;
};

/// A child that keeps its parent from being deleted.
struct guard_model {
    std::int64_t id = 0;
    std::int64_t main_id = 0;
};

/// The tables of one case; `prefix` makes their names unique.
struct schema {
    explicit schema(const std::string& prefix);

    lockstep::table<main_model> main;
    lockstep::table<signal_model> sig;
    lockstep::table<unique_model> uniq;
    lockstep::table<audit_log> audit;
    lockstep::table<note_model> notes;
    lockstep::table<guard_model> guards;
};

} // namespace conformance
