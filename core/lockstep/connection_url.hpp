// Connection URLs: the one string that chooses an engine and says how to reach it (semantics 8.1).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lockstep {

/// A parsed connection URL. Every part is percent-decoded.
///
/// Forms:
///
///     sqlite::memory:                      a private in-memory database
///     sqlite:///abs/path.db                an absolute file path
///     sqlite://relative.db?begin=immediate a path relative to the working directory
///     postgresql://user:pass@host:5432/db?sslmode=disable&isolation=serializable
///     postgresql://user@%2Frun%2Fpg/db     a Unix-socket directory as the host
///     mysql://user:pass@[::1]:3306/db      IPv6 hosts go in brackets
///     soci+sqlite3://:memory:              SOCI in front of the native form
///
/// The password is kept for the driver but never printed: `redacted()` replaces it.
struct LOCKSTEP_API connection_url {
    std::string scheme;   ///< as written, lower-case: "sqlite", "postgresql", "soci+mysql", ...
    std::string user;     ///< empty when not given
    std::string password; ///< empty when not given; never appears in messages
    bool has_password = false; ///< a password was given, even an empty one
    std::string host; ///< without IPv6 brackets; may be a socket directory; empty when not given
    std::optional<std::uint16_t> port; ///< empty: the engine's default
    /// One more host of a multi-host URL (`mysql://u@h1:3306,h2:3307/db`).
    struct endpoint {
        std::string host;                  ///< as `host`
        std::optional<std::uint16_t> port; ///< as `port`
    };
    /// The hosts after the first of a multi-host URL, in order; PostgreSQL and MySQL only.
    std::vector<endpoint> more_hosts;
    std::string database; ///< server database name, or the SQLite file path / ":memory:"
    std::vector<std::pair<std::string, std::string>> options; ///< `?key=value` pairs, in order

    /// The engine family: the scheme without a "soci+" prefix and with aliases resolved
    /// ("sqlite3" -> "sqlite", "postgres" -> "postgresql", "mariadb" -> "mysql").
    std::string engine() const;
    /// Does the URL ask for the SOCI adapter ("soci+...")?
    bool is_soci() const noexcept { return scheme.starts_with("soci+"); }
    /// The value of option `key`, if given (the last one wins).
    std::optional<std::string> option(std::string_view key) const;
    /// The URL with the password (and any `password` option) replaced by "***", safe to print.
    std::string redacted() const;
};

/// Parses a connection URL. Throws `configuration_error` for a malformed URL or a scheme that
/// is none of sqlite, postgresql, mysql or `soci+<backend>`; the message never contains the
/// password.
///
/// Example:
///
///     auto url = lockstep::parse_connection_url("postgresql://app:secret@db:5432/app");
///     // url.engine() == "postgresql", url.port == 5432, url.redacted() has "***"
LOCKSTEP_API connection_url parse_connection_url(std::string_view text);

/// Returns `text` with anything that looks like a password replaced by "***"; for messages
/// about URLs that could not be parsed. Over-masks rather than under: everything from the first
/// ':' after "://" to the last '@' is masked, and every option whose name contains "pass",
/// "pwd" or "secret" in any case.
LOCKSTEP_API std::string redact_url_text(std::string_view text);

/// Is `key` the name of an option whose value is secret ("password", "PASSWORD",
/// "sslpassword", "passwd", ...)? Such values are never printed.
LOCKSTEP_API bool is_secret_option(std::string_view key);

} // namespace lockstep
