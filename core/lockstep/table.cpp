// Table descriptors: validation of the column list and process-unique serial numbers.
// SPDX-License-Identifier: MIT
#include "lockstep/table.hpp"

#include <set>

namespace lockstep {
namespace detail {

std::uint64_t next_table_serial() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
}

} // namespace detail

table_base::table_base(std::string name, std::vector<column_info> columns)
    : name_(std::move(name)), columns_(std::move(columns)), serial_(detail::next_table_serial()) {
    if (name_.empty())
        throw usage_error("A table needs a name.");
    std::size_t keys = 0;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        if (!seen.insert(columns_[i].name).second)
            throw usage_error("Table \"" + name_ + "\" has two columns named \"" +
                              columns_[i].name + "\".");
        if (columns_[i].primary_key) {
            key_index_ = i;
            ++keys;
        }
    }
    if (keys != 1)
        throw usage_error("Table \"" + name_ +
                          "\" needs exactly one lockstep::primary_key column.");
}

} // namespace lockstep
