// Value validation that makes bad values fail the same way on every engine (semantics 6.2,
// 6.5): text that is valid UTF-8, without NUL, within the column's length; finite numbers.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace lockstep {

/// Returns the number of characters (code points) in `text`, or nothing if `text` is not valid
/// UTF-8 (overlong forms, surrogates and code points above U+10FFFF are invalid).
LOCKSTEP_API std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

namespace detail {

/// Does `text` hold a byte with its high bit set, or a zero byte? Out of line: for the lengths
/// is_short_plain_ascii does not test inline (under 4 bytes, over 16).
LOCKSTEP_API bool has_high_or_zero_byte(std::string_view text) noexcept;

/// The bytes of `w` that are zero or have their high bit set, as their high bits: the classic
/// "has zero byte" test, exact when no high bit is set, which the first half rules out.
constexpr std::uint64_t high_or_zero_bytes(std::uint64_t w) noexcept {
    return (w | ((w - 0x0101010101010101u) & ~w)) & 0x8080808080808080u;
}

/// Is `text` plain ASCII without NUL and at most `max_length` bytes long? Then it passes every
/// rule of `check_text` (one byte is one character), which most text does: the model layer
/// checks every text value on every write. Text of 4 to 16 bytes (most names, words and codes)
/// is tested inline as two 8-byte words that overlap (or one made of two 4-byte halves), so the
/// test is one short stretch of code in every write; other lengths take one call.
inline bool is_short_plain_ascii(std::string_view text, std::optional<std::size_t> max_length) {
    const std::size_t n = text.size();
    if (max_length && n > *max_length)
        return false;
    if (n - 4 > 12) [[unlikely]] // under 4 bytes (n - 4 wraps around) or over 16
        return !has_high_or_zero_byte(text);
    const char* p = text.data();
    std::uint64_t first, last;
    if (n >= 8) {
        std::memcpy(&first, p, 8);
        std::memcpy(&last, p + n - 8, 8);
    } else { // two 4-byte halves that overlap make one word of real bytes
        std::uint32_t low, high;
        std::memcpy(&low, p, 4);
        std::memcpy(&high, p + n - 4, 4);
        first = last = low | (std::uint64_t{high} << 32);
    }
    return (high_or_zero_bytes(first) | high_or_zero_bytes(last)) == 0;
}

/// The whole check of `check_text`, out of line, for text the fast path did not clear.
LOCKSTEP_API void check_text_fully(std::string_view text, std::optional<std::size_t> max_length,
                                   std::string_view column, std::string_view table);

} // namespace detail

/// Throws `data_error` if `text` is not valid UTF-8, contains a NUL character, or is longer than
/// `max_length` characters. `column` and `table` name the value in the message; leave them
/// empty for a bound parameter of raw SQL. Nothing is allocated unless the text is bad, and
/// short plain ASCII (most text) is cleared inline without a call.
///
/// Example:
///
///     check_text(name, 100, "name", "author");
inline void check_text(std::string_view text, std::optional<std::size_t> max_length,
                       std::string_view column = {}, std::string_view table = {}) {
    if (!detail::is_short_plain_ascii(text, max_length))
        detail::check_text_fully(text, max_length, column, table);
}

namespace detail {
[[noreturn]] LOCKSTEP_API void throw_not_finite(double number, std::string_view column,
                                                std::string_view table);
} // namespace detail

/// Throws `data_error` if `value` is NaN or an infinity: SQLite stores NaN as NULL, PostgreSQL
/// keeps both, MariaDB refuses both, so Lockstep refuses them on every engine before sending
/// (semantics 6.5). `column` and `table` name the value in the message, as for `check_text`.
inline void check_real(double number, std::string_view column = {}, std::string_view table = {}) {
    if (!std::isfinite(number)) [[unlikely]]
        detail::throw_not_finite(number, column, table);
}

} // namespace lockstep
