# SPDX-License-Identifier: MIT
# The plugin SDK as an installed CMake package, ResyncMon, so that a collector outside this tree
# writes find_package(ResyncMon) and resync_add_plugin(). `cmake --install` lays out:
#   bin/resync-mon, lib/resync-mon/plugins/*.so       (component runtime: cli/, resync_add_plugin)
#   include/resync/plugin_abi.h, include/resync/plugin/*.hpp, include/resync/util/*.hpp,
#   lib/libresync_*.a, lib/cmake/ResyncMon/              (component sdk: below)
# The systemd unit and /etc config belong to the .deb only (cmake/Packaging.cmake).
include(CMakePackageConfigHelpers)

set(RESYNC_CMAKE_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ResyncMon)

# resync_export_library(<target> <export-name> <header-root> <header-or-folder>...)
# Installs <target> as ResyncMon::<export-name> in the ResyncMonTargets export set, with its public
# headers: each <header-or-folder> is relative to <header-root> and keeps that relative path under
# include/. Targets declare their include folders as source paths, which an installed package
# cannot carry: they become build-only here, and include/ of the prefix once installed.
function(resync_export_library target export_name header_root)
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set(usage_dirs)
  foreach(dir IN LISTS dirs)
    if(dir MATCHES "^\\$<")
      list(APPEND usage_dirs "${dir}")
    else()
      list(APPEND usage_dirs "$<BUILD_INTERFACE:${dir}>")
    endif()
  endforeach()
  list(APPEND usage_dirs "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
  set_target_properties(${target} PROPERTIES
    EXPORT_NAME ${export_name}
    INTERFACE_INCLUDE_DIRECTORIES "${usage_dirs}")
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    # Linked into plugins, which are shared objects.
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  install(TARGETS ${target} EXPORT ResyncMonTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk)
  foreach(header IN LISTS ARGN)
    get_filename_component(subdir ${header} DIRECTORY)
    if(IS_DIRECTORY ${header_root}/${header})
      install(DIRECTORY ${header_root}/${header}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${subdir} COMPONENT sdk)
    else()
      install(FILES ${header_root}/${header}
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${subdir} COMPONENT sdk)
    endif()
  endforeach()
  # The package config find_dependency()s every Poco library an exported target links, so the
  # list follows the link lines instead of being kept by hand.
  get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
  string(REGEX MATCHALL "Poco::[A-Za-z]+" poco "${links}")
  string(REPLACE "Poco::" "" poco "${poco}")
  set_property(GLOBAL APPEND PROPERTY RESYNC_SDK_POCO_COMPONENTS ${poco})
endfunction()

# The SDK and everything it links: CMake refuses to generate when a linked target is missing from
# the export set, so this list cannot silently fall short.
resync_export_library(resync_plugin_abi plugin_abi
  ${PROJECT_SOURCE_DIR}/plugins/abi resync/plugin_abi.h)
resync_export_library(resync_plugin_sdk plugin_sdk
  ${PROJECT_SOURCE_DIR}/plugins/sdk/include resync/plugin)
resync_export_library(resync_util util ${PROJECT_SOURCE_DIR}/util/include resync/util)
resync_export_library(resync_http_client http_client ${PROJECT_SOURCE_DIR}/http/include resync/http)
resync_export_library(resync_tls_loader tls_loader ${PROJECT_SOURCE_DIR}/tls/include resync/tls)

install(EXPORT ResyncMonTargets NAMESPACE ResyncMon::
  DESTINATION ${RESYNC_CMAKE_DESTINATION} COMPONENT sdk)

get_property(RESYNC_SDK_POCO_COMPONENTS GLOBAL PROPERTY RESYNC_SDK_POCO_COMPONENTS)
list(REMOVE_DUPLICATES RESYNC_SDK_POCO_COMPONENTS)
list(JOIN RESYNC_SDK_POCO_COMPONENTS " " RESYNC_SDK_POCO_COMPONENTS)
configure_package_config_file(cmake/ResyncMonConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ResyncMonConfig.cmake
  INSTALL_DESTINATION ${RESYNC_CMAKE_DESTINATION}
  PATH_VARS RESYNC_PLUGIN_DESTINATION)
# 0.x: a minor version may change the SDK's C++ helpers, so only the same minor version matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ResyncMonConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/ResyncMonConfig.cmake
  ${PROJECT_BINARY_DIR}/ResyncMonConfigVersion.cmake
  cmake/ResyncMonPlugin.cmake
  DESTINATION ${RESYNC_CMAKE_DESTINATION} COMPONENT sdk)
