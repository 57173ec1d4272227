// Text validation that makes bad strings fail the same way on every engine (SPEC 6.2): valid
// UTF-8, no NUL, and at most the column's length in characters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace lockstep {

/// Returns the number of characters (code points) in `text`, or nothing if `text` is not valid
/// UTF-8 (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view text) noexcept;

/// Throws `data_error` if `text` is not valid UTF-8, contains a NUL character, or is longer than
/// `max_length` characters. `column` and `table` name the value in the message; leave them
/// empty for a bound parameter of raw SQL. Nothing is allocated unless the text is bad.
///
/// Example:
///
///     check_text(name, 100, "name", "author");
void check_text(std::string_view text, std::optional<std::size_t> max_length,
                std::string_view column = {}, std::string_view table = {});

namespace detail {

/// Is `text` plain ASCII without NUL and at most `max_length` bytes long? Then it passes every
/// rule of `check_text` (one byte is one character), which most text does: the model layer
/// checks every text value on every write, so this is tested inline, eight bytes at a time.
inline bool is_short_plain_ascii(std::string_view text, std::optional<std::size_t> max_length) {
    if (max_length && text.size() > *max_length)
        return false;
    constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    const auto* p = text.data();
    std::size_t n = text.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        // A byte with its high bit set, or a zero byte (the classic "has zero byte" test).
        if ((w | ((w - ones) & ~w)) & highs)
            return false;
    }
    for (; n > 0; ++p, --n)
        if (static_cast<unsigned char>(*p) - 1u >= 0x7Fu) // 0 or >= 0x80
            return false;
    return true;
}

} // namespace detail

/// `check_text`, with the common case (short plain ASCII) decided without a call.
inline void check_text_fast(std::string_view text, std::optional<std::size_t> max_length,
                            std::string_view column = {}, std::string_view table = {}) {
    if (!detail::is_short_plain_ascii(text, max_length))
        check_text(text, max_length, column, table);
}

} // namespace lockstep
