// UTF-8 validation and length checks shared by raw SQL and the model layer.
// SPDX-License-Identifier: MIT
#include "lockstep/text_check.hpp"

#include "lockstep/errors.hpp"

#include <cstring>
#include <string>

namespace lockstep {

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
    std::size_t count = 0;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = p + text.size();
    while (p < end) {
        const unsigned char c = *p;
        std::size_t extra = 0;
        char32_t code = 0;
        if (c < 0x80) {
            ++p;
            ++count;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            code = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            code = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            code = c & 0x07;
        } else {
            return std::nullopt;
        }
        if (static_cast<std::size_t>(end - p) <= extra)
            return std::nullopt;
        for (std::size_t i = 1; i <= extra; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return std::nullopt;
            code = (code << 6) | (p[i] & 0x3F);
        }
        // Reject overlong encodings, UTF-16 surrogates and values past Unicode's range: engines
        // disagree on them (PostgreSQL refuses, SQLite stores them), so nobody gets them.
        static constexpr char32_t smallest[] = {0, 0x80, 0x800, 0x10000};
        if (code < smallest[extra] || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF)
            return std::nullopt;
        p += extra + 1;
        ++count;
    }
    return count;
}

bool detail::has_high_or_zero_byte(std::string_view text) noexcept {
    const char* p = text.data();
    const std::size_t n = text.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        if (high_or_zero_bytes(w) != 0)
            return true;
    }
    for (; i < n; ++i)
        if (static_cast<unsigned char>(p[i]) - 1u >= 0x7Fu) // 0 or >= 0x80
            return true;
    return false;
}

namespace {

std::string describe_value(std::string_view column, std::string_view table) {
    if (column.empty())
        return std::string("a bound parameter");
    return "column \"" + std::string(column) + "\" of table \"" + std::string(table) + "\"";
}

} // namespace

void detail::throw_not_finite(double number, std::string_view column, std::string_view table) {
    throw data_error(std::string("The number for ") + describe_value(column, table) + " is " +
                     (std::isnan(number) ? "NaN"
                      : number > 0       ? "+infinity"
                                         : "-infinity") +
                     ", which engines store differently (SQLite as NULL, MariaDB not at all); "
                     "store a finite number, or NULL in a nullable column.");
}

void detail::check_text_fully(std::string_view text, std::optional<std::size_t> max_length,
                              std::string_view column, std::string_view table) {
    const auto what = [&] { return describe_value(column, table); };
    if (std::memchr(text.data(), '\0', text.size()) != nullptr)
        throw data_error("Text for " + what() +
                         " contains a NUL character, which PostgreSQL cannot store and other "
                         "engines truncate at; remove it or store the value as binary data.");
    const auto length = utf8_length(text);
    if (!length)
        throw data_error("Text for " + what() +
                         " is not valid UTF-8; convert it to UTF-8 or store it as binary data.");
    if (max_length && *length > *max_length)
        throw data_error("Text for " + what() + " is " + std::to_string(*length) +
                         " characters long, longer than the column's limit of " +
                         std::to_string(*max_length) + "; shorten it or widen the column.");
}

} // namespace lockstep
