// A driver opens sessions for one engine; the registry finds drivers by URL scheme.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection_url.hpp"
#include "lockstep/export.hpp"
#include "lockstep/spi/session.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::spi {

/// Opens sessions for one engine family.
class LOCKSTEP_API driver {
public:
    virtual ~driver() = default;
    /// The family this driver serves: "sqlite", "postgresql", "mysql", or "soci" for every
    /// `soci+<backend>` URL.
    virtual std::string_view name() const noexcept = 0;
    /// Opens a session. Throws `connection_error` if the engine cannot be reached and
    /// `configuration_error` for options it does not understand.
    virtual std::unique_ptr<session> open(const connection_url& url) const = 0;
};

/// The driver of a backend whose session is constructed from a URL: what most backends need.
///
/// Example:
///
///     return std::make_shared<spi::session_driver<sqlite::session>>("sqlite");
template <class Session> class session_driver final : public driver {
public:
    /// A driver of family `name` whose sessions are `Session(url)`.
    explicit session_driver(std::string name) : name_(std::move(name)) {}
    std::string_view name() const noexcept override { return name_; }
    std::unique_ptr<session> open(const connection_url& url) const override {
        return std::make_unique<Session>(url);
    }

private:
    std::string name_;
};

/// Registers `d` under `d->name()`, replacing an earlier driver of that name. Registration is
/// explicit (no static-initialisation tricks, which static libraries silently drop).
LOCKSTEP_API void register_driver(std::shared_ptr<const driver> d);

/// The driver registered for `name`, or null.
LOCKSTEP_API std::shared_ptr<const driver> find_driver(std::string_view name);

/// The names of every registered driver, sorted.
LOCKSTEP_API std::vector<std::string> registered_drivers();

} // namespace lockstep::spi
