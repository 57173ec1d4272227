// Text validation that makes bad strings fail the same way on every engine (SPEC 6.2): valid
// UTF-8, no NUL, and at most the column's length in characters.
#pragma once

#include <cstddef>
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

} // namespace lockstep
