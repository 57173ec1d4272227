// The MySQL driver and its registration.
// SPDX-License-Identifier: MIT
#include "mysql/driver.hpp"

#include "mysql/session.hpp"

namespace lockstep::mysql {

std::shared_ptr<const spi::driver> make_driver() {
    return std::make_shared<spi::session_driver<session>>("mysql");
}

void register_driver() {
    spi::register_driver(make_driver());
}

} // namespace lockstep::mysql
