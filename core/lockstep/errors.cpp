// Out-of-line parts of the error taxonomy.
// SPDX-License-Identifier: MIT
#include "lockstep/errors.hpp"

#include <utility>

namespace lockstep {

error::error(const std::string& message, error_details details)
    : std::runtime_error(message), details_(std::move(details)) {}

std::string_view to_string(constraint_kind kind) noexcept {
    switch (kind) {
    case constraint_kind::unique:
        return "unique";
    case constraint_kind::foreign_key:
        return "foreign_key";
    case constraint_kind::not_null:
        return "not_null";
    case constraint_kind::check:
        return "check";
    case constraint_kind::other:
        break;
    }
    return "other";
}

integrity_error::integrity_error(const std::string& message, constraint_kind constraint,
                                 error_details details)
    : error(message, std::move(details)), constraint_(constraint) {}

void throw_same_class(const error& original, const std::string& message) {
    auto details = original.details();
    if (const auto* integrity = dynamic_cast<const integrity_error*>(&original))
        throw integrity_error(message, integrity->constraint(), std::move(details));
    const std::string_view kind = original.kind();
    if (kind == "usage_error")
        throw usage_error(message, std::move(details));
    if (kind == "configuration_error")
        throw configuration_error(message, std::move(details));
    if (kind == "connection_error")
        throw connection_error(message, std::move(details));
    if (kind == "transaction_conflict")
        throw transaction_conflict(message, std::move(details));
    if (kind == "commit_outcome_unknown")
        throw commit_outcome_unknown(message, std::move(details));
    if (kind == "data_error")
        throw data_error(message, std::move(details));
    if (kind == "statement_error")
        throw statement_error(message, std::move(details));
    if (kind == "not_supported")
        throw not_supported(message, std::move(details));
    if (kind == "resource_error")
        throw resource_error(message, std::move(details));
    throw engine_error(message, std::move(details));
}

} // namespace lockstep
