// Identifier quoting shared by backends: wraps a name in the engine's quote character and
// doubles that character inside it, so any name is one identifier and never SQL.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

namespace lockstep::spi {

/// Returns `name` quoted with `quote` ('"' in standard SQL, '`' in MySQL).
///
/// Example:
///
///     spi::quote_identifier("my \"table\"", '"') == "\"my \"\"table\"\"\""
inline std::string quote_identifier(std::string_view name, char quote) {
    std::string out(1, quote);
    out.reserve(name.size() + 2);
    for (char c : name) {
        if (c == quote)
            out += quote;
        out += c;
    }
    out += quote;
    return out;
}

} // namespace lockstep::spi
