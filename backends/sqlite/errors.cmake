# lockstep::sqlite_errors: SQLite's error table, for the native backend and the SOCI adapter.
# SPDX-License-Identifier: MIT
find_package(SQLite3 REQUIRED)
lockstep_add_backend_errors(NAME sqlite SOURCES ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
                            DEPENDS SQLite::SQLite3)
