// Receivers and helpers shared by the conformance cases.
// SPDX-License-Identifier: MIT
#pragma once

#include "harness.hpp"

#include <catch2/catch.hpp>
#include <lockstep/lockstep.hpp>

namespace conformance {

using strings = std::vector<std::string>;

/// The oracle's standard receiver: on post_save of a new main row, insert "child of <name>".
inline lockstep::subscription connect_child_creator(fixture& fx) {
    return lockstep::post_save.connect(fx.s.main, [&fx](const lockstep::saved<main_model>& e) {
        fx.log("post_save main '" + e.instance.name + "' created=" + (e.created ? "1" : "0"));
        if (e.created)
            e.db.insert(fx.s.sig, signal_model{.main_id = e.instance.id,
                                               .message = "child of " + e.instance.name});
    });
}

/// Inserts a main row named `name`.
inline main_model create_main(fixture& fx, const std::string& name) {
    return fx.db.insert(fx.s.main, main_model{.name = name});
}

} // namespace conformance
