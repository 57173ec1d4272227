// The SQLite driver and its registration.
// SPDX-License-Identifier: MIT
#include "sqlite/driver.hpp"

#include "sqlite/session.hpp"

namespace lockstep::sqlite {

std::shared_ptr<const spi::driver> make_driver() {
    return std::make_shared<spi::session_driver<session>>("sqlite");
}

void register_driver() {
    spi::register_driver(make_driver());
}

} // namespace lockstep::sqlite
