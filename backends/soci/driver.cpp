// The SOCI driver and its registration.
#include "soci/driver.hpp"

#include "soci/session.hpp"

namespace lockstep::soci {
namespace {

class driver final : public spi::driver {
public:
    std::string_view name() const noexcept override { return "soci"; }
    std::unique_ptr<spi::session> open(const connection_url& url) const override {
        return std::make_unique<session>(url);
    }
};

} // namespace

std::shared_ptr<const spi::driver> make_driver() {
    return std::make_shared<driver>();
}

void register_driver() {
    spi::register_driver(make_driver());
}

} // namespace lockstep::soci
