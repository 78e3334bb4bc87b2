# SPDX-License-Identifier: MIT
# cmake -DNPM=<npm> -DSOURCE_DIR=<tests/dashboard> -DNODE_DIR=<build folder> -P npm_ci.cmake
# Installs the browser test's node packages (playwright-core only, no browser download: the test
# drives Debian's chromium) into the build folder. Runs npm ci only when package-lock.json changed
# since the last successful install, so a second ctest run costs nothing.
foreach(var NPM SOURCE_DIR NODE_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "npm_ci.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT EXISTS "${NPM}")
  message(FATAL_ERROR "npm not found (${NPM}): scripts/deps installs nodejs and npm")
endif()

file(SHA256 ${SOURCE_DIR}/package-lock.json lock_hash)
set(stamp ${NODE_DIR}/node_modules/.resync-lock-sha256)
if(EXISTS ${stamp} AND EXISTS ${NODE_DIR}/node_modules/playwright-core/package.json)
  file(READ ${stamp} installed_hash)
  if(installed_hash STREQUAL lock_hash)
    message(STATUS "node packages up to date in ${NODE_DIR}")
    return()
  endif()
endif()

file(MAKE_DIRECTORY ${NODE_DIR})
file(COPY ${SOURCE_DIR}/package.json ${SOURCE_DIR}/package-lock.json DESTINATION ${NODE_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
          ${NPM} ci --no-audit --no-fund --update-notifier=false --loglevel=error
  WORKING_DIRECTORY ${NODE_DIR}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "npm ci in ${NODE_DIR} failed (${result}); the npm registry must be reachable")
endif()
file(WRITE ${stamp} "${lock_hash}")
message(STATUS "installed node packages into ${NODE_DIR}")
