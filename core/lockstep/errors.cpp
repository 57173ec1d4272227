// Out-of-line parts of the error taxonomy.
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

} // namespace lockstep
