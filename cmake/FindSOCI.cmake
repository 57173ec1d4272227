# FindSOCI: Debian's libsoci-dev ships no CMake package, so this module finds SOCI's core and
# the backends Lockstep links (sqlite3, postgresql, mysql).
#
#   find_package(SOCI 4.0 REQUIRED COMPONENTS sqlite3 postgresql mysql)
#
# Defines SOCI_FOUND, SOCI_VERSION, and imported targets SOCI::core and SOCI::<component>.
# SPDX-License-Identifier: MIT
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_core_LIBRARY NAMES soci_core)
if(SOCI_INCLUDE_DIR AND EXISTS "${SOCI_INCLUDE_DIR}/soci/version.h")
    file(STRINGS "${SOCI_INCLUDE_DIR}/soci/version.h" soci_version_line REGEX "#define SOCI_LIB_VERSION ")
    string(REGEX MATCH "\"([0-9_]+)\"" _ "${soci_version_line}")
    string(REPLACE "_" "." SOCI_VERSION "${CMAKE_MATCH_1}")
endif()

set(soci_required_vars SOCI_INCLUDE_DIR SOCI_core_LIBRARY)
foreach(component IN LISTS SOCI_FIND_COMPONENTS)
    find_library(SOCI_${component}_LIBRARY NAMES soci_${component})
    if(SOCI_${component}_LIBRARY)
        set(SOCI_${component}_FOUND TRUE)
    endif()
    if(SOCI_FIND_REQUIRED_${component})
        list(APPEND soci_required_vars SOCI_${component}_LIBRARY)
    endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI REQUIRED_VARS ${soci_required_vars}
                                  VERSION_VAR SOCI_VERSION HANDLE_COMPONENTS)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
    add_library(SOCI::core UNKNOWN IMPORTED)
    set_target_properties(SOCI::core PROPERTIES IMPORTED_LOCATION "${SOCI_core_LIBRARY}"
                          INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}")
    foreach(component IN LISTS SOCI_FIND_COMPONENTS)
        if(SOCI_${component}_FOUND)
            add_library(SOCI::${component} UNKNOWN IMPORTED)
            set_target_properties(SOCI::${component} PROPERTIES
                IMPORTED_LOCATION "${SOCI_${component}_LIBRARY}"
                INTERFACE_LINK_LIBRARIES SOCI::core)
        endif()
    endforeach()
endif()
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_core_LIBRARY)
