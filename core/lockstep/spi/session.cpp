// Default implementations of the backend interface's optional methods.
// SPDX-License-Identifier: MIT
#include "lockstep/spi/session.hpp"

namespace lockstep::spi {

// Out of line, so the core's call to it is a plain virtual call: no inline guess at the target
// that every backend overriding it would pay for (docs/performance.md, "The savepoint path, and
// aligned functions").
void session::run_savepoint(savepoint_step step, std::size_t /*index*/, std::string_view name) {
    switch (step) {
    case savepoint_step::create:
        return create_savepoint(name);
    case savepoint_step::release:
        return release_savepoint(name);
    case savepoint_step::rollback_to:
        return rollback_to_savepoint(name);
    }
}

} // namespace lockstep::spi
