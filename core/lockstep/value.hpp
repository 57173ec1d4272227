// Values that cross the engine boundary: `param` borrows what is bound to a statement,
// `value` owns what a query returns.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lockstep {

/// Binary data, stored in a BLOB (SQLite, MySQL) or BYTEA (PostgreSQL) column.
using blob = std::vector<std::byte>;

/// A value bound to a statement parameter. It borrows text and bytes from the caller, so binding
/// allocates nothing; it must not outlive the call it is passed to.
using param = std::variant<std::nullptr_t, std::int64_t, double, bool, std::string_view,
                           std::span<const std::byte>>;

/// A value read from a row. NULL is `std::monostate`.
using value = std::variant<std::monostate, std::int64_t, double, bool, std::string, blob>;

/// One row of a query result, in select-list order.
using row = std::vector<value>;

/// Makes a `param` from the usual C++ types; `std::nullopt` and `nullptr` bind NULL.
///
/// Example:
///
///     db.execute("INSERT INTO t(a, b) VALUES (?, ?)", 42, std::string("x"));
inline param to_param(std::nullptr_t) noexcept {
    return nullptr;
}
/// A boolean.
inline param to_param(bool v) noexcept {
    return v;
}
/// A real number.
inline param to_param(double v) noexcept {
    return v;
}
/// A real number, widened to double.
inline param to_param(float v) noexcept {
    return static_cast<double>(v);
}
/// Text, which must outlive the statement.
inline param to_param(std::string_view v) noexcept {
    return v;
}
/// Text from a NUL-terminated string.
inline param to_param(const char* v) noexcept {
    return std::string_view(v);
}
/// Text, viewed, not copied.
inline param to_param(const std::string& v) noexcept {
    return std::string_view(v);
}
/// Bytes, viewed, not copied.
inline param to_param(const blob& v) noexcept {
    return std::span<const std::byte>(v);
}
/// Bytes.
inline param to_param(std::span<const std::byte> v) noexcept {
    return v;
}
/// Any integer but bool, as a 64-bit integer.
template <class Int>
requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>) param to_param(Int v)
noexcept {
    return static_cast<std::int64_t>(v);
}
/// The value, or NULL when empty.
template <class T> param to_param(const std::optional<T>& v) noexcept {
    return v ? to_param(*v) : param(nullptr);
}
/// NULL.
inline param to_param(std::nullopt_t) noexcept {
    return nullptr;
}

/// Is this value NULL?
inline bool is_null(const value& v) noexcept {
    return std::holds_alternative<std::monostate>(v);
}

/// Reads an integer from a value: integers as they are, booleans as 0/1. Throws `data_error`
/// for anything else (including NULL).
LOCKSTEP_API std::int64_t as_integer(const value& v);
/// Reads a real number; integers convert. Throws `data_error` for anything else.
LOCKSTEP_API double as_real(const value& v);
/// Reads a boolean; integers convert (non-zero is true). Throws `data_error` for anything else.
LOCKSTEP_API bool as_bool(const value& v);
/// Reads text. Throws `data_error` for anything else.
LOCKSTEP_API const std::string& as_text(const value& v);
/// Reads binary data; text converts byte for byte. Throws `data_error` for anything else.
LOCKSTEP_API blob as_blob(const value& v);

/// Isolation level of a transaction. `engine_default` leaves the engine's own default in place.
enum class isolation_level {
    engine_default,
    read_uncommitted,
    read_committed,
    repeatable_read,
    serializable
};

/// Returns the SQL spelling ("READ COMMITTED", ...), or "" for `engine_default`.
LOCKSTEP_API std::string_view to_sql(isolation_level level) noexcept;

/// Parses "read_committed", "read-committed" or "READ COMMITTED" (any case). Throws
/// `configuration_error` naming the accepted values.
LOCKSTEP_API isolation_level parse_isolation_level(std::string_view text);

} // namespace lockstep

namespace lockstep {

/// The storage type of a model column, from the member's C++ type.
enum class column_type { integer, real, text, boolean, binary };

} // namespace lockstep
