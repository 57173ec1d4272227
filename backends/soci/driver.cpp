// The SOCI driver and its registration.
// SPDX-License-Identifier: MIT
#include "soci/driver.hpp"

#include "soci/session.hpp"

namespace lockstep::soci {

std::shared_ptr<const spi::driver> make_driver() {
    return std::make_shared<spi::session_driver<session>>("soci");
}

void register_driver() {
    spi::register_driver(make_driver());
}

} // namespace lockstep::soci
