// Standard messages for classified engine errors.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/raise.hpp"

namespace lockstep::spi {
namespace {

std::string with_native(const std::string& sentence, const error_details& d) {
    if (d.native_message.empty())
        return sentence;
    return sentence + " (" + d.engine + ": " + d.native_message + ")";
}

std::string integrity_sentence(constraint_kind kind) {
    switch (kind) {
    case constraint_kind::unique:
        return "The statement would store a duplicate value in a unique column. Use another "
               "value, or run the statement in a nested atomic block and catch integrity_error "
               "to carry on.";
    case constraint_kind::foreign_key:
        return "The statement broke a foreign key: it points at a row that does not exist, or "
               "deletes a row that others still point at. Fix the reference first.";
    case constraint_kind::not_null:
        return "The statement would store NULL in a NOT NULL column. Give the column a value.";
    case constraint_kind::check:
        return "The statement broke a CHECK constraint. Change the value so the check holds.";
    case constraint_kind::other:
        break;
    }
    return "The statement broke a constraint of the table.";
}

std::string sentence_for(error_class cls) {
    switch (cls.category) {
    case error_category::integrity:
        return integrity_sentence(cls.constraint);
    case error_category::conflict:
        return "The transaction conflicted with another one (deadlock, serialization failure or "
               "lock timeout) and is over. Retry the whole outermost atomic block, for example "
               "with lockstep::retry.";
    case error_category::connection:
        return "The connection to the database is lost or could not be opened. Discard this "
               "connection and open a new one.";
    case error_category::data:
        return "A value does not fit its column (too long, out of range or not valid text). Fix "
               "the value.";
    case error_category::statement:
        return "The engine rejected the statement (a syntax error, an unknown table or column, "
               "or a missing privilege). Fix the SQL or the schema.";
    case error_category::usage:
        return "The engine reports that its API was misused.";
    case error_category::not_supported:
        return "The engine does not support this feature.";
    case error_category::resource:
        return "The engine ran out of a resource (disk space, memory or connections); the "
               "statement did nothing. Free the resource, then retry the whole atomic block.";
    case error_category::other:
        break;
    }
    return "The engine failed for a reason of its own (an internal error, a damaged database, an "
           "interrupted statement or an error raised by a trigger); see its message below.";
}

} // namespace

void raise(error_class cls, error_details details) {
    raise(cls, sentence_for(cls), std::move(details));
}

void raise(error_class cls, const std::string& sentence, error_details details) {
    // The message is built before `details` moves into the exception.
    const auto message = with_native(sentence, details);
    switch (cls.category) {
    case error_category::integrity:
        throw integrity_error(message, cls.constraint, std::move(details));
    case error_category::conflict:
        throw transaction_conflict(message, std::move(details));
    case error_category::connection:
        throw connection_error(message, std::move(details));
    case error_category::data:
        throw data_error(message, std::move(details));
    case error_category::statement:
        throw statement_error(message, std::move(details));
    case error_category::usage:
        throw usage_error(message, std::move(details));
    case error_category::not_supported:
        throw not_supported(message, std::move(details));
    case error_category::resource:
        throw resource_error(message, std::move(details));
    case error_category::other:
        break;
    }
    throw engine_error(message, std::move(details));
}

} // namespace lockstep::spi
