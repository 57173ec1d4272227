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

/// Is `text` plain ASCII without NUL and at most `max_length` bytes long? Then it passes every
/// rule of `check_text` (one byte is one character), which most text does: the model layer
/// checks every text value on every write, so this is tested inline, eight bytes at a time.
inline bool is_short_plain_ascii(std::string_view text, std::optional<std::size_t> max_length) {
    if (max_length && text.size() > *max_length)
        return false;
    const auto* p = text.data();
    const std::size_t n = text.size();
    // A word has a byte with its high bit set, or a zero byte (the classic "has zero byte"
    // test, exact when no high bit is set, which the first half rules out).
    const auto bad64 = [](const char* at) {
        std::uint64_t w;
        std::memcpy(&w, at, 8);
        return ((w | ((w - 0x0101010101010101u) & ~w)) & 0x8080808080808080u) != 0;
    };
    const auto bad32 = [](const char* at) {
        std::uint32_t w;
        std::memcpy(&w, at, 4);
        return ((w | ((w - 0x01010101u) & ~w)) & 0x80808080u) != 0;
    };
    if (n >= 8) {
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8)
            if (bad64(p + i))
                return false;
        // The last 8 bytes, overlapping what was checked: no byte loop for the tail.
        return i == n || !bad64(p + n - 8);
    }
    if (n >= 4) // two words that overlap cover 4 to 7 bytes
        return !bad32(p) && !bad32(p + n - 4);
    for (std::size_t i = 0; i < n; ++i)
        if (static_cast<unsigned char>(p[i]) - 1u >= 0x7Fu) // 0 or >= 0x80
            return false;
    return true;
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
