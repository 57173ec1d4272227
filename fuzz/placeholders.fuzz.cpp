// libFuzzer harness for the placeholder scanner that numbers `?` for PostgreSQL and SOCI:
// no input crashes it, and what it reports agrees with what it wrote.
// SPDX-License-Identifier: MIT
#include "lockstep/detail/sql_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

std::size_t count(std::string_view text, char c) {
    std::size_t n = 0;
    for (const char x : text)
        n += x == c;
    return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    const auto [text, placeholders] = lockstep::detail::number_placeholders(sql, "$");
    // Every placeholder was a '?' of the input, and each wrote "$<n>".
    if (placeholders < 0 || static_cast<std::size_t>(placeholders) > count(sql, '?'))
        std::abort();
    if (count(text, '$') < count(sql, '$') + static_cast<std::size_t>(placeholders))
        std::abort();
    if (placeholders > 0 && text.find("$" + std::to_string(placeholders)) == std::string::npos)
        std::abort();
    // Text without '?' passes through unchanged.
    if (sql.find('?') == std::string_view::npos && text != sql)
        std::abort();
    return 0;
}
