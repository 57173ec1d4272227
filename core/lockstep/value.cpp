// Conversions from engine values to C++ types, and isolation-level names.
// SPDX-License-Identifier: MIT
#include "lockstep/value.hpp"

#include "lockstep/errors.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lockstep {
namespace {

[[noreturn]] void wrong_type(const value& v, const char* wanted) {
    static constexpr const char* names[] = {"NULL",      "an integer", "a real number",
                                            "a boolean", "text",       "binary data"};
    throw data_error(std::string("Expected ") + wanted + " from the database but got " +
                     names[v.index()] +
                     "; check that the column's type matches the model member's type.");
}

} // namespace

// Some drivers (SOCI on SQLite, for expressions without a declared type) return numbers as
// text; text that is exactly a number in C's syntax is accepted as that number.
template <class Number> bool parse_whole(const value& v, Number& out) {
    const auto* s = std::get_if<std::string>(&v);
    if (s == nullptr || s->empty())
        return false;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    return ec == std::errc{} && end == s->data() + s->size();
}

std::int64_t as_integer(const value& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return *i;
    if (const auto* b = std::get_if<bool>(&v))
        return *b ? 1 : 0;
    if (std::int64_t parsed = 0; parse_whole(v, parsed))
        return parsed;
    wrong_type(v, "an integer");
}

double as_real(const value& v) {
    if (const auto* d = std::get_if<double>(&v))
        return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return static_cast<double>(*i);
    if (double parsed = 0; parse_whole(v, parsed))
        return parsed;
    wrong_type(v, "a real number");
}

bool as_bool(const value& v) {
    if (const auto* b = std::get_if<bool>(&v))
        return *b;
    if (const auto* i = std::get_if<std::int64_t>(&v))
        return *i != 0;
    if (const auto* s = std::get_if<std::string>(&v)) {
        if (*s == "t" || *s == "true" || *s == "1")
            return true;
        if (*s == "f" || *s == "false" || *s == "0")
            return false;
    }
    wrong_type(v, "a boolean");
}

const std::string& as_text(const value& v) {
    if (const auto* s = std::get_if<std::string>(&v))
        return *s;
    wrong_type(v, "text");
}

blob as_blob(const value& v) {
    if (const auto* b = std::get_if<blob>(&v))
        return *b;
    if (const auto* s = std::get_if<std::string>(&v)) {
        blob out(s->size());
        std::transform(s->begin(), s->end(), out.begin(),
                       [](char c) { return static_cast<std::byte>(c); });
        return out;
    }
    wrong_type(v, "binary data");
}

std::string_view to_sql(isolation_level level) noexcept {
    switch (level) {
    case isolation_level::read_uncommitted:
        return "READ UNCOMMITTED";
    case isolation_level::read_committed:
        return "READ COMMITTED";
    case isolation_level::repeatable_read:
        return "REPEATABLE READ";
    case isolation_level::serializable:
        return "SERIALIZABLE";
    case isolation_level::engine_default:
        break;
    }
    return "";
}

isolation_level parse_isolation_level(std::string_view text) {
    std::string key;
    for (char c : text)
        key += (c == '-' || c == ' ')
                   ? '_'
                   : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "read_uncommitted")
        return isolation_level::read_uncommitted;
    if (key == "read_committed")
        return isolation_level::read_committed;
    if (key == "repeatable_read")
        return isolation_level::repeatable_read;
    if (key == "serializable")
        return isolation_level::serializable;
    if (key == "default" || key == "engine_default")
        return isolation_level::engine_default;
    throw configuration_error("Unknown isolation level \"" + std::string(text) +
                              "\"; use one of read_uncommitted, read_committed, "
                              "repeatable_read, serializable, default.");
}

} // namespace lockstep
