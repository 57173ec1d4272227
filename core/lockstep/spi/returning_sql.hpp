// Each INSERT's text with "RETURNING <key>" appended, built once per statement text: the
// MySQL and SOCI adapters read generated keys this way without building a string per insert.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"
#include "lockstep/spi/string_map.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace lockstep::spi {

/// Remembers `INSERT ... RETURNING key` texts by their INSERT text.
///
/// Example:
///
///     const auto& text = returning_.text(sql, "id", [&](auto c) { return quote_identifier(c); });
class LOCKSTEP_API returning_sql_cache {
public:
    /// `insert_sql` followed by ` RETURNING ` and the quoted `key_column`.
    template <class Quote>
    const std::string& text(std::string_view insert_sql, std::string_view key_column,
                            Quote&& quote) {
        auto it = entries_.find(insert_sql);
        if (it == entries_.end() || it->second.key_column != key_column) {
            // Dynamic SQL must not grow the cache without bound.
            if (entries_.size() >= max_entries)
                entries_.clear();
            entry e{std::string(key_column),
                    std::string(insert_sql) + " RETURNING " + quote(key_column)};
            it = entries_.insert_or_assign(std::string(insert_sql), std::move(e)).first;
        }
        return it->second.sql;
    }

private:
    static constexpr std::size_t max_entries = 512;
    struct entry {
        std::string key_column;
        std::string sql;
    };
    string_map<entry> entries_;
};

} // namespace lockstep::spi
