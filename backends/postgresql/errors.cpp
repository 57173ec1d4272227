// PostgreSQL's SQLSTATE codes mapped to Lockstep's error classes, in one table.
// SPDX-License-Identifier: MIT
#include "postgresql/errors.hpp"

#include <string>

namespace lockstep::postgresql {

spi::error_class classify(std::string_view sqlstate) noexcept {
    using spi::error_category;
    if (sqlstate.size() != 5) // no SQLSTATE: libpq lost the connection
        return {error_category::connection};
    if (sqlstate == "23505")
        return {error_category::integrity, constraint_kind::unique};
    if (sqlstate == "23503")
        return {error_category::integrity, constraint_kind::foreign_key};
    if (sqlstate == "23502")
        return {error_category::integrity, constraint_kind::not_null};
    if (sqlstate == "23514")
        return {error_category::integrity, constraint_kind::check};
    if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03")
        return {error_category::conflict}; // serialization failure, deadlock, lock timeout
    if (sqlstate == "25P02")               // in failed transaction: the core should have refused
        return {error_category::usage};
    if (sqlstate == "25006") // a write through a read-only connection (a replica, semantics 8.11)
        return {error_category::usage};
    if (sqlstate == "0A000")
        return {error_category::not_supported};
    if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
        return {error_category::connection}; // terminated, crash shutdown, cannot connect now
    const auto cls = sqlstate.substr(0, 2);
    if (cls == "23")
        return {error_category::integrity, constraint_kind::other};
    if (cls == "08" || cls == "28") // connection exceptions, invalid authorization
        return {error_category::connection};
    if (cls == "22") // data exceptions: 22001 too long, 22021 bad encoding, 22003 out of range
        return {error_category::data};
    if (cls == "42") // syntax error, undefined table or column, insufficient privilege
        return {error_category::statement};
    if (cls == "40")
        return {error_category::conflict};
    if (cls == "53") // insufficient resources: disk full, out of memory, too many connections
        return {error_category::resource};
    if (cls == "54") // program limit exceeded: a statement or value too large to process
        return {error_category::data};
    return {error_category::other};
}

void raise_error(std::string_view sqlstate, std::string_view native_message, std::string_view sql) {
    spi::raise(classify(sqlstate), {"postgresql", std::string(sqlstate), 0,
                                    std::string(native_message), std::string(sql)});
}

} // namespace lockstep::postgresql
