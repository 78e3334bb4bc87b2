# SPDX-License-Identifier: MIT
# resync_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>])
# A resync-mon collector built against the installed SDK, like the bundled ones (cmake/Resync.cmake
# in the resync-mon tree): a MODULE library <name>.so with no "lib" prefix, because the host looks
# for `<plugin>.so`; hidden visibility, so resync_plugin_entry is its only exported symbol and two
# plugins' copies of the SDK never interpose. Built into ${RESYNC_PLUGIN_OUTPUT_DIR} (default
# <build>/plugins, usable as `plugin_dir`), installed into ${RESYNC_PLUGIN_DESTINATION} (default
# lib/resync-mon/plugins, where a resync-mon installed under the same prefix finds it).
function(resync_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "resync_add_plugin: '${name}' is not a plugin name ([a-z0-9_]+)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "resync_add_plugin(${name}): no SOURCES")
  endif()
  if(NOT DEFINED RESYNC_PLUGIN_OUTPUT_DIR)
    set(RESYNC_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
  endif()
  if(NOT DEFINED RESYNC_PLUGIN_DESTINATION)
    set(RESYNC_PLUGIN_DESTINATION lib/resync-mon/plugins)
  endif()
  add_library(resync_plugin_${name} MODULE ${ARG_SOURCES})
  set_target_properties(resync_plugin_${name} PROPERTIES
    OUTPUT_NAME ${name} PREFIX ""
    C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${RESYNC_PLUGIN_OUTPUT_DIR})
  target_compile_features(resync_plugin_${name} PRIVATE cxx_std_17)
  target_link_libraries(resync_plugin_${name} PRIVATE ResyncMon::plugin_sdk ${ARG_LIBRARIES})
  # The SDK brings Poco NetSSL, OpenSSL and their dependencies for https URLs; a plugin that never
  # fetches one must not make its host map them at start-up (about 3 MB of RSS), so libraries the
  # plugin does not call are left out of its NEEDED list.
  target_link_options(resync_plugin_${name} PRIVATE LINKER:--as-needed)
  install(TARGETS resync_plugin_${name} LIBRARY DESTINATION ${RESYNC_PLUGIN_DESTINATION})
  # The resync-mon tree makes its binary and tests depend on every plugin listed here.
  set_property(GLOBAL APPEND PROPERTY RESYNC_PLUGINS resync_plugin_${name})
endfunction()
