// SOCI's exceptions translated through each engine's own error table.
// SPDX-License-Identifier: MIT
#include "soci/errors.hpp"

#include "mysql/errors.hpp"
#include "postgresql/errors.hpp"
#include "sqlite/errors.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

namespace lockstep::soci {

spi::error_class classify_category(int soci_category) noexcept {
    using spi::error_category;
    switch (soci_category) {
    case ::soci::soci_error::connection_error:
        return {error_category::connection};
    case ::soci::soci_error::constraint_violation:
        return {error_category::integrity, constraint_kind::other};
    case ::soci::soci_error::invalid_statement:
    case ::soci::soci_error::no_privilege:
        return {error_category::statement};
    case ::soci::soci_error::no_data:
        return {error_category::data};
    case ::soci::soci_error::unknown_transaction_state:
        return {error_category::connection}; // at COMMIT, the core makes this outcome unknown
    default:
        return {error_category::other};
    }
}

void raise_error(const ::soci::soci_error& e, std::string_view engine, std::string_view sql) {
    // SOCI's what() adds context, which on MySQL includes the query with its values
    // substituted; the bare message never does.
    auto message = e.get_error_message();
    if (engine == "postgresql") {
        // libpq's full message has a DETAIL line that can quote a row's values; keep the
        // primary message only, as the native adapter does.
        if (const auto end = message.find('\n'); end != std::string::npos)
            message.erase(end);
        if (message.starts_with("ERROR:  "))
            message.erase(0, 8);
    }
    if (const auto* sqlite = dynamic_cast<const ::soci::sqlite3_soci_error*>(&e))
        sqlite::raise_error(sqlite->result(), message, sql);
    if (const auto* pg = dynamic_cast<const ::soci::postgresql_soci_error*>(&e)) {
        const auto state = pg->sqlstate();
        const bool has_state = state.size() == 5 && state[0] != '\0';
        if (has_state && e.get_error_category() != ::soci::soci_error::connection_error)
            postgresql::raise_error(state, message, sql);
    }
    if (const auto* my = dynamic_cast<const ::soci::mysql_soci_error*>(&e))
        mysql::raise_error(static_cast<int>(my->err_num_), "", message, sql);
    spi::raise(classify_category(e.get_error_category()),
               {std::string(engine), "", 0, message, std::string(sql)});
}

} // namespace lockstep::soci
