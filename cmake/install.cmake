# Install rules: headers, libraries, the CMake package (one component per backend) and
# pkg-config files. `cmake --install build --prefix /opt/lockstep` installs; a host then writes
#   find_package(lockstep 0.2 REQUIRED COMPONENTS sqlite postgresql)
#   target_link_libraries(app PRIVATE lockstep::sqlite lockstep::postgresql)
# SPDX-License-Identifier: MIT
include(CMakePackageConfigHelpers)
set(lockstep_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/lockstep)

# Headers: the core's public headers with detail/ (its templates need it) and spi/ (the interface
# for third-party backends), the generated version header, and each backend's driver header as
# <lockstep/<engine>/driver.hpp>.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/lockstep DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.hpp" PATTERN "*.test.*" EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/core/generated/lockstep/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lockstep COMPONENT dev)

# Components double as the Debian packages (cmake/packaging.cmake): runtime (liblockstep.so.*),
# dev (headers, static libraries, .so links, CMake and pkg-config files), one per backend (its
# shared library and plugin), and command (bin/lockstep with its runner).
install(TARGETS lockstep_core EXPORT lockstep-core-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT lockstep-core-targets NAMESPACE lockstep:: DESTINATION ${lockstep_cmake_dir}
        COMPONENT dev)

get_property(lockstep_error_tables GLOBAL PROPERTY lockstep_installed_error_tables)
foreach(engine IN LISTS lockstep_error_tables)
    install(TARGETS lockstep_${engine}_errors EXPORT lockstep-${engine}-errors-targets
            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
            LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
    install(EXPORT lockstep-${engine}-errors-targets NAMESPACE lockstep::
            DESTINATION ${lockstep_cmake_dir} COMPONENT dev)
endforeach()

get_property(lockstep_backends GLOBAL PROPERTY lockstep_installed_backends)
set(lockstep_built_components "")
foreach(engine IN LISTS lockstep_backends)
    install(TARGETS lockstep_${engine} EXPORT lockstep-${engine}-targets
            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
            LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${engine}
                    NAMELINK_COMPONENT dev)
    if(TARGET lockstep_${engine}_plugin)
        install(TARGETS lockstep_${engine}_plugin LIBRARY DESTINATION ${LOCKSTEP_PLUGIN_DIR}
                COMPONENT ${engine})
    endif()
    install(EXPORT lockstep-${engine}-targets NAMESPACE lockstep::
            DESTINATION ${lockstep_cmake_dir} COMPONENT dev)
    install(FILES ${PROJECT_SOURCE_DIR}/backends/${engine}/driver.hpp
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lockstep/${engine} COMPONENT dev)
    list(APPEND lockstep_built_components ${engine})
endforeach()
install(TARGETS lockstep_builtin EXPORT lockstep-builtin-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT builtin NAMELINK_COMPONENT dev)
install(EXPORT lockstep-builtin-targets NAMESPACE lockstep:: DESTINATION ${lockstep_cmake_dir}
        COMPONENT dev)
list(APPEND lockstep_built_components builtin)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lockstepConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/lockstepConfig.cmake
                              INSTALL_DESTINATION ${lockstep_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lockstepConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lockstepConfig.cmake
              ${PROJECT_BINARY_DIR}/lockstepConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindSOCI.cmake
              ${PROJECT_SOURCE_DIR}/cmake/Findmysqlcppconn.cmake
        DESTINATION ${lockstep_cmake_dir} COMPONENT dev)

# pkg-config: lockstep.pc for the core, lockstep-<engine>.pc per backend, lockstep-builtin.pc.
# A backend's own library is in Libs; its error table and engine libraries are private (inside
# the shared library; `pkg-config --static` adds them for a static install).
# Relocatable: the prefix is found from the .pc file's own place, so `cmake --install --prefix`
# anywhere gives working files.
file(RELATIVE_PATH pc_to_prefix /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
set(lockstep_pc_requires_sqlite "sqlite3")
set(lockstep_pc_private_sqlite "-llockstep-sqlite-errors")
set(lockstep_pc_requires_postgresql "libpq")
set(lockstep_pc_private_postgresql "-llockstep-postgresql-errors")
set(lockstep_pc_requires_mysql "")
set(lockstep_pc_private_mysql "-llockstep-mysql-errors -lmysqlcppconn")
set(lockstep_pc_requires_soci "sqlite3 libpq libmariadb")
set(lockstep_pc_private_soci "-llockstep-sqlite-errors -llockstep-postgresql-errors \
-llockstep-mysql-errors -lsoci_sqlite3 -lsoci_postgresql -lsoci_mysql -lsoci_core -ldl")
set(lockstep_pc_builtin_requires "")
foreach(engine IN LISTS lockstep_backends)
    set(pc_name lockstep-${engine})
    set(pc_description "Lockstep's ${engine} backend")
    set(pc_requires "lockstep")
    set(pc_requires_private "${lockstep_pc_requires_${engine}}")
    set(pc_libs "-llockstep-${engine}")
    set(pc_libs_private "${lockstep_pc_private_${engine}}")
    configure_file(${PROJECT_SOURCE_DIR}/cmake/lockstep.pc.in
                   ${PROJECT_BINARY_DIR}/pkgconfig/lockstep-${engine}.pc @ONLY)
    string(APPEND lockstep_pc_builtin_requires " lockstep-${engine}")
endforeach()
set(pc_name lockstep)
set(pc_description "Lockstep: transactions, savepoints, hooks and model signals, the same on every engine")
set(pc_requires "")
set(pc_requires_private "")
set(pc_libs "-llockstep -pthread")
set(pc_libs_private "-ldl")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lockstep.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/lockstep.pc
               @ONLY)
set(pc_name lockstep-builtin)
set(pc_description "Lockstep with every engine it was built with (register_builtin_drivers)")
set(pc_requires "lockstep${lockstep_pc_builtin_requires}")
set(pc_libs "-llockstep-builtin")
set(pc_libs_private "")
configure_file(${PROJECT_SOURCE_DIR}/cmake/lockstep.pc.in
               ${PROJECT_BINARY_DIR}/pkgconfig/lockstep-builtin.pc @ONLY)
install(DIRECTORY ${PROJECT_BINARY_DIR}/pkgconfig/ DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT dev)

# The command and the helpers it runs, found relative to bin/lockstep (../libexec/lockstep).
if(TARGET lockstep_command)
    install(TARGETS lockstep_command RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT command)
    install(TARGETS lockstep_conformance
            RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/lockstep COMPONENT command)
    set_target_properties(lockstep_conformance PROPERTIES
                          INSTALL_RPATH "$ORIGIN/../../${CMAKE_INSTALL_LIBDIR}")
endif()
