# Findmysqlcppconn: MySQL Connector/C++ 1.1 (Debian's libmysqlcppconn-dev), which ships no CMake
# package. Defines mysqlcppconn_FOUND and the imported target mysqlcppconn::mysqlcppconn.
# SPDX-License-Identifier: MIT
find_path(MYSQLCPPCONN_INCLUDE_DIR mysql_driver.h)
find_library(MYSQLCPPCONN_LIBRARY mysqlcppconn)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(mysqlcppconn REQUIRED_VARS MYSQLCPPCONN_LIBRARY
                                  MYSQLCPPCONN_INCLUDE_DIR)
if(mysqlcppconn_FOUND AND NOT TARGET mysqlcppconn::mysqlcppconn)
    add_library(mysqlcppconn::mysqlcppconn UNKNOWN IMPORTED GLOBAL)
    set_target_properties(mysqlcppconn::mysqlcppconn PROPERTIES
        IMPORTED_LOCATION "${MYSQLCPPCONN_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${MYSQLCPPCONN_INCLUDE_DIR}")
endif()
