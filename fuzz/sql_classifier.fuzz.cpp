// libFuzzer harness for the SQL statement classifier and the statement splitter that guard raw
// SQL (semantics 5.1, 5.6, 6.6): no input crashes them or reads out of bounds.
// SPDX-License-Identifier: MIT
#include "lockstep/detail/sql_scan.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view sql(reinterpret_cast<const char*>(data), size);
    (void)lockstep::detail::classify_statement(sql);
    (void)lockstep::detail::write_target(sql);
    const bool several = lockstep::detail::has_several_statements(sql);
    // Without a ';' there cannot be a second statement.
    if (several && sql.find(';') == std::string_view::npos)
        std::abort();
    // Skipping a literal or comment never moves backwards or past the end.
    for (std::size_t i = 0; i < sql.size();) {
        const auto end = lockstep::detail::skip_literal_or_comment(sql, i);
        if (end < i || end > sql.size())
            std::abort();
        i = end == i ? i + 1 : end;
    }
    return 0;
}
