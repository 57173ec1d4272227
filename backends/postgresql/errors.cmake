# lockstep::postgresql_errors: PostgreSQL's error table, liveness test and notice silencing, for
# the native backend and the SOCI adapter.
# SPDX-License-Identifier: MIT
find_package(PostgreSQL REQUIRED)
lockstep_add_backend_errors(NAME postgresql
                            SOURCES ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
                                    ${CMAKE_CURRENT_LIST_DIR}/liveness.cpp
                                    ${CMAKE_CURRENT_LIST_DIR}/notices.cpp
                            DEPENDS PostgreSQL::PostgreSQL)
