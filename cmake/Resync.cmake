# SPDX-License-Identifier: MIT
# resync_add_plugin(<name> SOURCES <files...> [LIBRARIES <targets...>]): the one definition, the
# one installed for out-of-tree plugins, so bundled and third-party plugins are built alike.
include(${CMAKE_CURRENT_LIST_DIR}/ResyncMonPlugin.cmake)

# resync_add_test(<name> SOURCES <files...> [LIBRARIES <targets...>] [LABELS <labels...>]
#                  [COST <seconds>])
# COST is about how many seconds the test takes: `ctest -j` starts the costliest first, so a long
# test does not begin last and run alone while the other cores idle (ctest learns real costs after
# one run; a fresh clone has none). The figures are from a full run on 2 loaded cores.
function(resync_add_test name)
  cmake_parse_arguments(ARG "" "COST" "SOURCES;LIBRARIES;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} GTest::gtest_main GTest::gmock)
  target_compile_definitions(${name} PRIVATE
    RESYNC_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    RESYNC_PLUGIN_BUILD_DIR="${RESYNC_PLUGIN_OUTPUT_DIR}"
    RESYNC_BINARY="$<TARGET_FILE:resync-mon>")
  add_test(NAME ${name} COMMAND ${name})
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
  if(ARG_COST)
    set_tests_properties(${name} PROPERTIES COST ${ARG_COST})
  endif()
endfunction()
