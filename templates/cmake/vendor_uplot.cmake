# SPDX-License-Identifier: MIT
# cmake -DNODE_MODULES=<dir> -DOUT_DIR=<dir> -P vendor_uplot.cmake
# Copies uPlot's minified script and style sheet out of node_modules with its MIT license text
# prepended, so the served files carry the notice the license asks for.
foreach(var NODE_MODULES OUT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "vendor_uplot.cmake: -D${var}=... is required")
  endif()
endforeach()

set(pkg ${NODE_MODULES}/uplot)
foreach(file package.json LICENSE dist/uPlot.iife.min.js dist/uPlot.min.css)
  if(NOT EXISTS ${pkg}/${file})
    message(FATAL_ERROR "vendor_uplot.cmake: ${pkg}/${file} is missing; did npm ci succeed?")
  endif()
endforeach()

file(READ ${pkg}/package.json manifest)
string(JSON version GET "${manifest}" version)
file(READ ${pkg}/LICENSE license)
string(STRIP "${license}" license)
set(header "/*! uPlot ${version} (https://github.com/leeoniya/uPlot), vendored by resync-mon.\n\n${license}\n*/\n")

file(MAKE_DIRECTORY ${OUT_DIR})
file(READ ${pkg}/dist/uPlot.iife.min.js script)
file(WRITE ${OUT_DIR}/uplot.min.js "${header}${script}")
file(READ ${pkg}/dist/uPlot.min.css style)
file(WRITE ${OUT_DIR}/uplot.min.css "${header}${style}")
