# Debian packages with CPack (`cpack -G DEB` in a shared build; ci/check-package): the runtime
# library, -dev, one package per backend (its shared library and plugin), the builtin library,
# and the lockstep command. dpkg-shlibdeps fills in the Debian dependencies of each.
# SPDX-License-Identifier: MIT
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lockstep)
set(CPACK_PACKAGE_VENDOR "Lockstep")
set(CPACK_PACKAGE_CONTACT "Lockstep maintainers <maintainers@lockstep.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "transactions, savepoints, hooks and model signals that behave the same on every engine")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# dpkg-shlibdeps must find Lockstep's own libraries in the staging area, not on the system.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/${CMAKE_INSTALL_LIBDIR})

set(lockstep_abi ${LOCKSTEP_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME liblockstep${lockstep_abi})
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION "Lockstep's core library")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME liblockstep-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "Lockstep's headers, CMake package and pkg-config files")
set(CPACK_DEBIAN_BUILTIN_PACKAGE_NAME liblockstep-builtin${lockstep_abi})
set(CPACK_DEBIAN_BUILTIN_DESCRIPTION "register_builtin_drivers(): every engine Lockstep has")
set(CPACK_DEBIAN_COMMAND_PACKAGE_NAME lockstep)
set(CPACK_DEBIAN_COMMAND_PACKAGE_SECTION database)
set(CPACK_DEBIAN_COMMAND_DESCRIPTION
    "the lockstep command: demo, conform (the conformance suite), probe")
set(CPACK_COMPONENT_COMMAND_DEPENDS runtime)
set(CPACK_COMPONENT_BUILTIN_DEPENDS runtime)
set(lockstep_dev_depends runtime builtin)
get_property(lockstep_packaged_backends GLOBAL PROPERTY lockstep_installed_backends)
foreach(engine IN LISTS lockstep_packaged_backends)
    string(TOUPPER ${engine} upper)
    set(CPACK_DEBIAN_${upper}_PACKAGE_NAME liblockstep-${engine}${lockstep_abi})
    set(CPACK_DEBIAN_${upper}_DESCRIPTION "Lockstep's ${engine} backend and plugin")
    set(CPACK_COMPONENT_${upper}_DEPENDS runtime)
    list(APPEND CPACK_COMPONENT_BUILTIN_DEPENDS ${engine})
    list(APPEND lockstep_dev_depends ${engine})
endforeach()
set(CPACK_COMPONENT_DEV_DEPENDS ${lockstep_dev_depends})
# The headers and CMake package need the engines' own development files for static linking and
# find_dependency.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libsqlite3-dev, libpq-dev, libmysqlcppconn-dev, libsoci-dev, libmariadb-dev")
# The command runs any engine whose plugin is installed; SQLite is the embedded default.
set(CPACK_DEBIAN_COMMAND_PACKAGE_RECOMMENDS "liblockstep-sqlite${lockstep_abi}")
include(CPack)
