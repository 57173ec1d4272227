// MySQL/MariaDB error numbers mapped to Lockstep's error classes, in one table.
// SPDX-License-Identifier: MIT
#include "mysql/errors.hpp"

namespace lockstep::mysql {

spi::error_class classify(int error_number, std::string_view sqlstate) noexcept {
    using spi::error_category;
    switch (error_number) {
    case 1062: // ER_DUP_ENTRY
    case 1586: // ER_DUP_ENTRY_WITH_KEY_NAME
        return {error_category::integrity, constraint_kind::unique};
    case 1451: // ER_ROW_IS_REFERENCED_2: deleting a parent that children point at
    case 1452: // ER_NO_REFERENCED_ROW_2: a child pointing at a missing parent
    case 1216:
    case 1217:
        return {error_category::integrity, constraint_kind::foreign_key};
    case 1048: // ER_BAD_NULL_ERROR
    case 1364: // ER_NO_DEFAULT_FOR_FIELD
        return {error_category::integrity, constraint_kind::not_null};
    case 3819: // MySQL 8: ER_CHECK_CONSTRAINT_VIOLATED
    case 4025: // MariaDB: ER_CONSTRAINT_FAILED
        return {error_category::integrity, constraint_kind::check};
    case 1213: // ER_LOCK_DEADLOCK
    case 1205: // ER_LOCK_WAIT_TIMEOUT
    case 1637: // ER_TOO_MANY_CONCURRENT_TRXS
        return {error_category::conflict};
    case 1406: // ER_DATA_TOO_LONG
    case 1366: // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD (invalid text)
    case 1264: // ER_WARN_DATA_OUT_OF_RANGE
    case 1292: // ER_TRUNCATED_WRONG_VALUE
    case 1690: // ER_DATA_OUT_OF_RANGE
    case 1265: // WARN_DATA_TRUNCATED
        return {error_category::data};
    case 2002: // CR_CONNECTION_ERROR
    case 2003: // CR_CONN_HOST_ERROR
    case 2005: // CR_UNKNOWN_HOST
    case 2006: // CR_SERVER_GONE_ERROR
    case 2013: // CR_SERVER_LOST
    case 2055: // CR_SERVER_LOST_EXTENDED
    case 1927: // MariaDB ER_CONNECTION_KILLED
    case 1053: // ER_SERVER_SHUTDOWN
    case 1045: // ER_ACCESS_DENIED_ERROR (login)
    case 1044: // ER_DBACCESS_DENIED_ERROR
    case 1049: // ER_BAD_DB_ERROR (unknown database at connect)
    case 1040: // ER_CON_COUNT_ERROR
        return {error_category::connection};
    case 1064: // ER_PARSE_ERROR
    case 1146: // ER_NO_SUCH_TABLE
    case 1054: // ER_BAD_FIELD_ERROR
    case 1142: // ER_TABLEACCESS_DENIED_ERROR
    case 1050: // ER_TABLE_EXISTS_ERROR
    case 1051: // ER_BAD_TABLE_ERROR
    case 1305: // ER_SP_DOES_NOT_EXIST (also: SAVEPOINT does not exist)
        return {error_category::statement};
    case 1021: // ER_DISK_FULL
    case 1037: // ER_OUTOFMEMORY
    case 1038: // ER_OUT_OF_SORTMEMORY
    case 1041: // ER_OUT_OF_RESOURCES
    case 1114: // ER_RECORD_FILE_FULL: the table is full
    case 2008: // CR_OUT_OF_MEMORY
        return {error_category::resource};
    case 1153: // ER_NET_PACKET_TOO_LARGE: a value over max_allowed_packet
    case 1301: // ER_WARN_ALLOWED_PACKET_OVERFLOWED
    case 2020: // CR_NET_PACKET_TOO_LARGE
        return {error_category::data};
    case 1792: // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION: a write through a replica read
        return {error_category::usage};
    case 1047: // Galera: WSREP has not yet prepared node for application use (the node is not
               // in the primary component): this connection is useless until it rejoins
        return {error_category::connection};
    case 1295: // ER_UNSUPPORTED_PS
    case 1235: // ER_NOT_SUPPORTED_YET
        return {error_category::not_supported};
    default:
        break;
    }
    if (sqlstate.starts_with("23"))
        return {error_category::integrity, constraint_kind::other};
    if (sqlstate.starts_with("08"))
        return {error_category::connection};
    if (sqlstate.starts_with("22"))
        return {error_category::data};
    if (sqlstate.starts_with("42"))
        return {error_category::statement};
    if (sqlstate == "40001")
        return {error_category::conflict};
    return {error_category::other};
}

std::string without_values(int error_number, std::string message) {
    // These messages quote the offending value first: "Duplicate entry 'x' for key 'k'",
    // "Incorrect string value: '\xFF' for column", "Truncated incorrect DOUBLE value: 'abc'".
    if (error_number != 1062 && error_number != 1586 && error_number != 1366 &&
        error_number != 1292 && error_number != 1264)
        return message;
    const auto open = message.find('\'');
    if (open == std::string::npos)
        return message;
    // The value ends at the quote that is followed by " for" or ends the message.
    auto close = message.find("' for ", open + 1);
    if (close == std::string::npos)
        close = message.rfind('\'');
    if (close == std::string::npos || close <= open)
        return message;
    message.replace(open + 1, close - open - 1, "***");
    return message;
}

void raise_error(int error_number, std::string_view sqlstate, std::string_view native_message,
                 std::string_view sql) {
    spi::raise(classify(error_number, sqlstate),
               {"mysql", std::string(sqlstate), error_number,
                without_values(error_number, std::string(native_message)), std::string(sql)});
}

} // namespace lockstep::mysql
