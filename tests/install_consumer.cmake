# cmake -P script: install the build tree into a fresh prefix, build tests/consumer against it
# with find_package(pipecut), run it on the BERT-3 sample and check what it prints.
# Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, GENERATOR, and the build's CXX_COMPILER, CXX_FLAGS
# and EXE_LINKER_FLAGS.
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix)
foreach(installed include/pipecut/pipecut.hpp include/pipecut/version.hpp bin/pipecut)
  if(NOT EXISTS ${WORK_DIR}/prefix/${installed})
    message(FATAL_ERROR "not installed: ${installed}")
  endif()
endforeach()
# `pipecut bench` finds the Node tool installed next to it (PREFIX/share/pipecut/tools) and says
# how to fetch its package, which is not installed.
foreach(installed bench_pipeline.mjs ort_inputs.mjs package.json package-lock.json)
  if(NOT EXISTS ${WORK_DIR}/prefix/share/pipecut/tools/${installed})
    message(FATAL_ERROR "not installed: share/pipecut/tools/${installed}")
  endif()
endforeach()
file(WRITE ${WORK_DIR}/pipeline/pipeline.json [[{"format": "pipecut.pipeline", "version": 1,
  "model": "m.onnx", "partition": {"k": 1, "bottleneck": 1},
  "inputs": [{"name": "x", "dtype": "float32", "shape": [1]}], "outputs": [],
  "stages": [{"stage": 0, "partition_stage": 0, "file": "stage_0.onnx", "inputs": [],
              "outputs": [], "operators": ["a"],
              "predicted": {"work": 1, "comm_in": 0, "comm_out": 0, "cost": 1}}]}]])
# Node itself is looked for first: any executable stands in for it, so that this check needs no
# Node.js.
execute_process(COMMAND ${CMAKE_COMMAND} -E env --unset=PIPECUT_TOOLS_DIR PIPECUT_NODE=/bin/sh
                        ${WORK_DIR}/prefix/bin/pipecut bench ${WORK_DIR}/pipeline
                RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 2 OR NOT err MATCHES "onnxruntime-node is not installed in [^\n]*prefix/share/pipecut/tools/node_modules")
  message(FATAL_ERROR "installed pipecut bench: exit ${rc}, ${err}")
endif()
# Public headers must not need third-party headers (nlohmann, CBC, onnx).
file(GLOB_RECURSE headers ${WORK_DIR}/prefix/include/pipecut/*.hpp)
foreach(header ${headers})
  file(STRINGS ${header} includes REGEX "^#include [<\"](nlohmann|coin|onnx|google|CLI)/")
  if(includes)
    message(FATAL_ERROR "${header} exposes a third-party header: ${includes}")
  endif()
endforeach()
# The consumer project is what README "C++" shows: its ```cmake block, verbatim.
file(READ ${SOURCE_DIR}/README.md readme)
string(REGEX MATCHALL "\n```cmake\n[^`]*```" readme_cmake "${readme}")
list(LENGTH readme_cmake readme_cmake_blocks)
if(NOT readme_cmake_blocks EQUAL 1)
  message(FATAL_ERROR "README.md has ${readme_cmake_blocks} ```cmake blocks, expected one")
endif()
string(REGEX REPLACE "^\n```cmake\n(.*)```$" "\\1" readme_cmake "${readme_cmake}")
file(READ ${SOURCE_DIR}/tests/consumer/CMakeLists.txt consumer_cmake)
string(FIND "${consumer_cmake}" "${readme_cmake}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "tests/consumer/CMakeLists.txt does not contain README's ```cmake block:\n"
                      "${readme_cmake}")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/app ${SOURCE_DIR}/data/samples/pipecut/bert_l-3_inference.json 4)
if(NOT last_output MATCHES "^27\\.18614[0-9] 27\\.18614[0-9] 1 ")
  message(FATAL_ERROR "unexpected consumer output: ${last_output}")
endif()
message(STATUS "consumer printed: ${last_output}")
