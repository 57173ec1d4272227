# lockstep::mysql_errors: MySQL's error table and rules (rollback guard, session settings), for
# the native backend and the SOCI adapter.
# SPDX-License-Identifier: MIT
lockstep_add_backend_errors(NAME mysql
                            SOURCES ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
                                    ${CMAKE_CURRENT_LIST_DIR}/rules.cpp)
