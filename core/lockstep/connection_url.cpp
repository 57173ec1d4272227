// Parser for database connection URLs. Database URLs are not quite RFC 3986 (sqlite::memory:,
// socket paths as hosts), so this small parser handles exactly the forms documented in the header.
// SPDX-License-Identifier: MIT
#include "lockstep/connection_url.hpp"

#include "lockstep/errors.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

namespace lockstep {
namespace {

constexpr std::string_view url_forms =
    "sqlite::memory:, sqlite:///absolute/path.db, sqlite://relative/path.db, "
    "postgresql://user:password@host:port/database, mysql://user:password@host:port/database, "
    "or soci+<backend>:// in front of one of these";

[[noreturn]] void malformed(std::string_view text, const std::string& why) {
    throw configuration_error("Connection URL \"" + redact_url_text(text) + "\" is malformed: " +
                              why + ". Expected " + std::string(url_forms) + ".");
}

std::string percent_decode(std::string_view part, std::string_view whole) {
    std::string out;
    out.reserve(part.size());
    for (std::size_t i = 0; i < part.size(); ++i) {
        if (part[i] != '%') {
            out += part[i];
            continue;
        }
        if (i + 2 >= part.size() || !std::isxdigit(static_cast<unsigned char>(part[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(part[i + 2])))
            malformed(whole, "a '%' is not followed by two hexadecimal digits");
        int byte = 0;
        std::from_chars(part.data() + i + 1, part.data() + i + 3, byte, 16);
        if (byte == 0) // C libraries would silently cut the value at the NUL
            malformed(whole, "it contains %00 (a NUL byte), which no engine accepts");
        out += static_cast<char>(byte);
        i += 2;
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string family_of(std::string_view scheme) {
    if (scheme.starts_with("soci+"))
        scheme.remove_prefix(5);
    if (scheme == "sqlite" || scheme == "sqlite3")
        return "sqlite";
    if (scheme == "postgresql" || scheme == "postgres")
        return "postgresql";
    if (scheme == "mysql" || scheme == "mariadb")
        return "mysql";
    return std::string(scheme);
}

bool is_known_scheme(std::string_view scheme) {
    if (scheme.starts_with("soci+")) {
        scheme.remove_prefix(5);
        // SOCI has more backends than Lockstep's native ones (odbc, firebird, oracle, db2).
        return !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        });
    }
    const auto family = family_of(scheme);
    return family == "sqlite" || family == "postgresql" || family == "mysql";
}

void parse_options(std::string_view query, std::string_view whole, connection_url& url) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty())
            continue;
        const auto eq = pair.find('=');
        if (eq == 0)
            malformed(whole, "an option has no name before '='");
        auto key = percent_decode(pair.substr(0, eq), whole);
        auto val = eq == std::string_view::npos ? std::string{}
                                                : percent_decode(pair.substr(eq + 1), whole);
        url.options.emplace_back(std::move(key), std::move(val));
    }
}

std::pair<std::string, std::optional<std::uint16_t>> parse_endpoint(std::string_view authority,
                                                                    std::string_view whole) {
    std::string host;
    std::optional<std::uint16_t> port;
    std::string_view port_text;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos)
            malformed(whole, "an IPv6 host has '[' but no closing ']'");
        host = std::string(authority.substr(1, close - 1));
        const auto rest = authority.substr(close + 1);
        if (!rest.empty() && rest[0] != ':')
            malformed(whole, "unexpected text after the IPv6 host");
        if (!rest.empty())
            port_text = rest.substr(1);
    } else {
        const auto colon = authority.find(':');
        host = percent_decode(authority.substr(0, colon), whole);
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
        if (host.find(':') != std::string::npos)
            malformed(whole, "an IPv6 host must be written in brackets, like [::1]");
    }
    if (!port_text.empty() || authority.ends_with(':')) {
        unsigned value = 0;
        const auto [end, ec] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
            value == 0 || value > 65535)
            malformed(whole, "the port must be a number from 1 to 65535");
        port = static_cast<std::uint16_t>(value);
    }
    return {std::move(host), port};
}

void parse_authority(std::string_view authority, std::string_view whole, connection_url& url) {
    // The password may contain '@' when percent-encoded only, so the last '@' ends the userinfo.
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
        const auto colon = userinfo.find(':');
        url.user = percent_decode(userinfo.substr(0, colon), whole);
        if (colon != std::string_view::npos) {
            url.password = percent_decode(userinfo.substr(colon + 1), whole);
            url.has_password = true;
        }
    }
    // Several hosts (h1:p1,h2:p2): a cluster's nodes, tried in order (semantics 8.10).
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        auto comma = authority.find(',', start);
        // A comma inside an IPv6 bracket cannot occur in a valid address; split on every one.
        parts.push_back(authority.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts.size() > 1 && parts[i].empty())
            malformed(whole, "a host list has an empty entry");
        auto [host, port] = parse_endpoint(parts[i], whole);
        if (i == 0) {
            url.host = std::move(host);
            url.port = port;
        } else {
            url.more_hosts.push_back({std::move(host), port});
        }
    }
}

} // namespace

std::string redact_url_text(std::string_view text) {
    // Over-mask rather than under: the text may be malformed precisely because a password holds
    // an unencoded '/', '?' or '@', so no structure is trusted. Everything from the first ':'
    // after the scheme's "://" to the last '@' anywhere is masked.
    std::string out(text);
    // Without "://" the scheme's own ':' starts the mask ("user:secret@host" was meant).
    const auto scheme_end = out.find("://");
    const auto start = scheme_end == std::string::npos ? out.find(':') : scheme_end + 2;
    const auto at = out.rfind('@');
    if (start != std::string::npos && at != std::string::npos && at > start) {
        const auto colon = scheme_end == std::string::npos ? start : out.find(':', start + 1);
        if (colon != std::string::npos && colon < at)
            out.replace(colon + 1, at - colon - 1, "***");
    }
    // Options whose name says password (any case: PASSWORD, sslpassword, passwd) are masked,
    // each up to the next '&'.
    const auto query = out.find('?', at == std::string::npos || at < start ? 0 : at);
    if (query == std::string::npos)
        return out;
    for (std::size_t pos = query + 1; pos < out.size();) {
        const auto end = std::min(out.find('&', pos), out.size());
        const auto eq = out.find('=', pos);
        if (eq != std::string::npos && eq < end && is_secret_option(out.substr(pos, eq - pos))) {
            out.replace(eq + 1, end - eq - 1, "***");
            pos = eq + 5;
        } else {
            pos = end + 1;
        }
    }
    return out;
}

bool is_secret_option(std::string_view key) {
    const auto k = lower(key);
    return k.find("pass") != std::string::npos || k.find("pwd") != std::string::npos ||
           k.find("secret") != std::string::npos;
}

std::string connection_url::engine() const {
    return family_of(scheme);
}

std::optional<std::string> connection_url::option(std::string_view key) const {
    std::optional<std::string> found;
    for (const auto& [k, v] : options)
        if (k == key)
            found = v;
    return found;
}

std::string connection_url::redacted() const {
    std::string out = scheme;
    if (engine() == "sqlite") {
        out +=
            database == ":memory:" ? (is_soci() ? "://:memory:" : "::memory:") : "://" + database;
    } else {
        out += "://";
        if (!user.empty() || has_password) {
            out += user;
            if (has_password)
                out += ":***";
            out += '@';
        }
        const auto add_host = [&](const std::string& h, std::optional<std::uint16_t> p) {
            out += h.find(':') != std::string::npos ? "[" + h + "]" : h;
            if (p)
                out += ":" + std::to_string(*p);
        };
        add_host(host, port);
        for (const auto& more : more_hosts) {
            out += ',';
            add_host(more.host, more.port);
        }
        if (!database.empty())
            out += "/" + database;
    }
    char separator = '?';
    for (const auto& [k, v] : options) {
        out += separator;
        out += k + "=" + (is_secret_option(k) ? "***" : v);
        separator = '&';
    }
    return out;
}

connection_url parse_connection_url(std::string_view text) {
    if (text.empty())
        malformed(text, "it is empty");
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0)
        malformed(text, "it has no scheme (the engine name before ':')");
    connection_url url;
    url.scheme = lower(text.substr(0, colon));
    if (!is_known_scheme(url.scheme))
        throw configuration_error("Connection URL \"" + redact_url_text(text) +
                                  "\" names unknown engine \"" + url.scheme +
                                  "\"; Lockstep knows sqlite, postgresql, mysql and "
                                  "soci+<backend>. Expected " +
                                  std::string(url_forms) + ".");
    std::string_view rest = text.substr(colon + 1);
    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }

    if (url.engine() == "sqlite") {
        // sqlite::memory:, sqlite://:memory:, sqlite:///abs, sqlite://relative, sqlite:relative
        if (rest == ":memory:" || rest == "//:memory:") {
            url.database = ":memory:";
        } else if (rest.starts_with("//")) {
            url.database = percent_decode(rest.substr(2), text);
        } else {
            url.database = percent_decode(rest, text);
        }
        if (url.database.empty())
            malformed(text, "it names no database file (use sqlite::memory: for an in-memory one)");
    } else {
        if (!rest.starts_with("//"))
            malformed(text, "a server URL needs '//' after the scheme");
        rest.remove_prefix(2);
        const auto slash = rest.find('/');
        // An '@' after the host means a password (or user) with an unencoded '/' or '?' was
        // split in the wrong place: refuse, rather than take part of a password for a host,
        // database or option and print it.
        if ((slash != std::string_view::npos &&
             rest.substr(slash).find('@') != std::string_view::npos) ||
            query.find('@') != std::string_view::npos)
            malformed(text, "an '@' follows the host; percent-encode '/', '?', '#' and '@' in "
                            "user names, passwords, database names and option values (%2F, "
                            "%3F, %23, %40)");
        parse_authority(rest.substr(0, slash), text, url);
        if (!url.more_hosts.empty() && (url.is_soci() || url.engine() == "sqlite"))
            malformed(text, "only postgresql:// and mysql:// URLs may list several hosts");
        if (!url.more_hosts.empty() && url.host.starts_with('/'))
            malformed(text, "a host list cannot hold a socket directory");
        if (slash != std::string_view::npos)
            url.database = percent_decode(rest.substr(slash + 1), text);
        if (url.database.find('/') != std::string::npos)
            malformed(text, "the database name contains '/'");
    }
    parse_options(query, text, url);
    return url;
}

} // namespace lockstep
