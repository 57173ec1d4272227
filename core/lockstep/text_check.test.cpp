// Unit tests of UTF-8 validation and the text checks of semantics 6.2.
// SPDX-License-Identifier: MIT
#include "lockstep/text_check.hpp"

#include "lockstep/errors.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace lockstep;

TEST_CASE("Valid UTF-8 is measured in characters, not bytes", "[text]") {
    CHECK(utf8_length("") == 0u);
    CHECK(utf8_length("abc") == 3u);
    CHECK(utf8_length("h\xC3\xA9llo") == 5u);     // é
    CHECK(utf8_length("\xE2\x82\xAC") == 1u);     // €
    CHECK(utf8_length("\xF0\x9F\x98\x80") == 1u); // 😀
}

TEST_CASE("Malformed UTF-8 sequences are rejected", "[text]") {
    CHECK_FALSE(utf8_length("\xFF"));             // never valid
    CHECK_FALSE(utf8_length("\xC3"));             // truncated
    CHECK_FALSE(utf8_length("\xC0\xAF"));         // overlong '/'
    CHECK_FALSE(utf8_length("\xED\xA0\x80"));     // UTF-16 surrogate
    CHECK_FALSE(utf8_length("\xF4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(utf8_length("a\x80"));            // stray continuation byte
}

TEST_CASE("Text with a NUL, invalid UTF-8 or too many characters raises data_error", "[text]") {
    CHECK_NOTHROW(check_text("h\xC3\xA9", 2, "x", "t"));
    CHECK_THROWS_AS(check_text(std::string("a\0b", 3), std::nullopt), data_error);
    CHECK_THROWS_AS(check_text("\xFF", std::nullopt), data_error);
    CHECK_THROWS_WITH(check_text("abcd", 3, "x", "t"),
                      Catch::Contains("column \"x\" of table \"t\"") &&
                          Catch::Contains("4 characters long") && Catch::Contains("limit of 3"));
}

TEST_CASE("The inline ASCII fast path accepts exactly what the full check accepts for plain "
          "text",
          "[text]") {
    // Every length around the inline test's bounds (4 and 16 bytes) and the 8-byte words, with
    // a NUL, a high byte, or nothing bad at every position: the fast path may only say yes when
    // the full check would pass.
    for (std::size_t length = 0; length <= 40; ++length)
        for (std::size_t bad = 0; bad <= length; ++bad)
            for (const char c : {'\0', '\x80', '\xC3', '\x7F', 'a'}) {
                std::string text(length, 'x');
                if (bad < length)
                    text[bad] = c;
                for (const std::optional<std::size_t> limit :
                     {std::optional<std::size_t>{}, std::optional<std::size_t>{length},
                      std::optional<std::size_t>{length ? length - 1 : 0}}) {
                    bool passes = true;
                    try {
                        detail::check_text_fully(text, limit, {}, {});
                    } catch (const data_error&) {
                        passes = false;
                    }
                    const bool fast = detail::is_short_plain_ascii(text, limit);
                    INFO("length " << length << ", byte " << bad << " = " << int(c));
                    CHECK((!fast || passes)); // never accepts what check_text refuses
                    const bool plain = bad == length || (c != '\0' && c > 0);
                    CHECK(fast == (plain && (!limit || length <= *limit)));
                }
            }
}
