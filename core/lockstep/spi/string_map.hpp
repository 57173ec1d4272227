// A map keyed by std::string that finds entries by std::string_view without building a string:
// the statement caches of every backend use it.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lockstep::spi {

/// Hashes std::string and std::string_view alike, so lookups need no temporary string.
struct LOCKSTEP_API string_hash {
    using is_transparent = void; ///< lets maps look up by std::string_view
    /// The hash of `s`.
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

/// An unordered map from text to `Value` with lookups by std::string_view.
template <class Value>
using string_map = std::unordered_map<std::string, Value, string_hash, std::equal_to<>>;

} // namespace lockstep::spi
