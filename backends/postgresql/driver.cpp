// The PostgreSQL driver and its registration.
// SPDX-License-Identifier: MIT
#include "postgresql/driver.hpp"

#include "postgresql/session.hpp"

namespace lockstep::postgresql {

std::shared_ptr<const spi::driver> make_driver() {
    return std::make_shared<spi::session_driver<session>>("postgresql");
}

void register_driver() {
    spi::register_driver(make_driver());
}

} // namespace lockstep::postgresql
