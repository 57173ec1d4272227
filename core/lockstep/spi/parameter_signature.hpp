// One number for a parameter list's length and types: backends whose prepared statements fix
// the parameter types (PostgreSQL, SOCI) check a statement found by address against it.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/value.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

namespace lockstep::spi {

/// Five bits of count, then three bits per parameter's type (its index in `param`); two lists
/// get the same number exactly when they have the same length and types. Leaves the top bit
/// free for a caller's own flag. `nullopt` for lists longer than `most_signed_parameters`.
///
/// Example:
///
///     if (const auto s = spi::parameter_signature(params); s && *s == entry.signature) ...
inline constexpr std::size_t most_signed_parameters = (63 - 5) / 3;
/// The signature of `params` (see above), or `nullopt` for more than `most_signed_parameters`.
inline std::optional<std::uint64_t> parameter_signature(std::span<const param> params) noexcept {
    static_assert(std::variant_size_v<param> <= 8, "three bits per type");
    if (params.size() > most_signed_parameters)
        return std::nullopt;
    std::uint64_t signature = params.size();
    for (std::size_t i = 0; i < params.size(); ++i)
        signature |= static_cast<std::uint64_t>(params[i].index()) << (5 + 3 * i);
    return signature;
}

} // namespace lockstep::spi
