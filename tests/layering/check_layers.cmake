# cmake -DINCLUDE_DIR=<folder holding pipecut/> -P check_layers.cmake
#
# The layer rule of the public headers (README "Layout"): a header in include/pipecut/<module>/
# may include headers of its own module and of modules in lower layers only, never of a sibling
# in the same layer or of a higher layer, so that data flows one way. The umbrella
# pipecut/pipecut.hpp may include everything; pipecut/version.hpp is at the bottom. A folder that
# is not in the order below is an error too: a new module must be given its place.
# Lists every offending include, then fails; prints the number of headers checked otherwise.
set(PIPECUT_LAYERS "util version" "model" "partition bounds mip" "solve" "onnx" "io"
                   "report gen llm" "experiment" "pipecut.hpp")
if(NOT INCLUDE_DIR OR NOT IS_DIRECTORY "${INCLUDE_DIR}/pipecut")
  message(FATAL_ERROR "check_layers: INCLUDE_DIR (${INCLUDE_DIR}) has no pipecut/ folder")
endif()

get_filename_component(INCLUDE_DIR "${INCLUDE_DIR}" ABSOLUTE)

set(rank 0)
foreach(layer IN LISTS PIPECUT_LAYERS)
  string(REPLACE " " ";" modules "${layer}")
  foreach(module IN LISTS modules)
    set(rank_of_${module} ${rank})
  endforeach()
  math(EXPR rank "${rank} + 1")
endforeach()

# The module of a path relative to INCLUDE_DIR ("pipecut/io/x.hpp" -> io,
# "pipecut/version.hpp" -> version, "pipecut/pipecut.hpp" -> pipecut.hpp).
function(module_of path out)
  string(REGEX REPLACE "^pipecut/" "" rest "${path}")
  if(rest MATCHES "^([^/]+)/")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    string(REGEX REPLACE "\\.in$" "" rest "${rest}")
    string(REGEX REPLACE "\\.hpp$" "" stem "${rest}")
    if(stem STREQUAL "version")
      set(${out} version PARENT_SCOPE)
    else()
      set(${out} "${rest}" PARENT_SCOPE)
    endif()
  endif()
endfunction()

file(GLOB_RECURSE headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/pipecut/*.hpp"
     "${INCLUDE_DIR}/pipecut/*.hpp.in")
list(SORT headers)
set(problems "")
set(checked 0)
foreach(header IN LISTS headers)
  math(EXPR checked "${checked} + 1")
  module_of("${header}" module)
  if(NOT DEFINED rank_of_${module})
    string(APPEND problems "\n  ${header}: module '${module}' has no place in the layer order")
    continue()
  endif()
  file(STRINGS "${INCLUDE_DIR}/${header}" lines
       REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]pipecut/")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" target "${line}")
    module_of("${target}" target_module)
    if(target_module STREQUAL module)
      continue()
    endif()
    if(NOT DEFINED rank_of_${target_module})
      string(APPEND problems
             "\n  ${header} (${module}) includes ${target}: module '${target_module}' has no place in the layer order")
    elseif(NOT rank_of_${target_module} LESS rank_of_${module})
      string(APPEND problems
             "\n  ${header} (${module}) includes ${target} (${target_module}), which is not in a lower layer")
    endif()
  endforeach()
endforeach()

set(order "")
foreach(layer IN LISTS PIPECUT_LAYERS)
  if(layer MATCHES " ")
    string(REPLACE " " ", " layer "${layer}")
    set(layer "{${layer}}")
  endif()
  if(order)
    string(APPEND order " < ")
  endif()
  string(APPEND order "${layer}")
endforeach()
if(checked EQUAL 0)
  message(FATAL_ERROR "check_layers: no headers under ${INCLUDE_DIR}/pipecut")
endif()
if(problems)
  message(FATAL_ERROR "check_layers: headers that break the layer order (${order}):${problems}")
endif()
message(STATUS "check_layers: ${checked} headers follow the layer order ${order}")
