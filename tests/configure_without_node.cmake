# cmake -P script: the project configures on a machine without Node.js, skipping only the tests
# that run ONNX Runtime for Node, and says so. CMake's find_program looks in /usr/bin whatever
# PATH says, so node is made missing by naming a file that does not exist.
# Variables: SOURCE_DIR, WORK_DIR, GENERATOR, CXX_COMPILER.
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
          -DPIPECUT_NODE=${WORK_DIR}/no-such-node
          -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DPIPECUT_BUILD_BENCH=OFF
          -DPIPECUT_BUILD_FUZZERS=OFF
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring without node failed (${rc}):\n${out}\n${err}")
endif()
string(REGEX REPLACE "[ \n]+" " " warning "${err}")
if(NOT warning MATCHES "node \\(Node.js\\) was not found [(][^)]*no-such-node[)], so the tests that run ONNX Runtime for Node are NOT registered: the GoogleTest suites OnnxStagesRun[.][*]:OnnxStagesProfile[.][*]:OnnxStagesBench[.][*], measure_pipelines_quick")
  message(FATAL_ERROR "no warning naming the skipped tests:\n${err}")
endif()
# The tests that need no Node are registered; those that run it are not.
execute_process(COMMAND ${CMAKE_CTEST_COMMAND} -N --test-dir ${WORK_DIR}/build
                RESULT_VARIABLE rc OUTPUT_VARIABLE tests)
foreach(expected split_test_models install_consumer doc_examples_README)
  if(NOT tests MATCHES "Test +#[0-9]+: ${expected}\n")
    message(FATAL_ERROR "${expected} is not registered without node:\n${tests}")
  endif()
endforeach()
if(tests MATCHES "measure_pipelines_quick")
  message(FATAL_ERROR "measure_pipelines_quick is registered without node:\n${tests}")
endif()
# The README's examples that run Node are skipped, the others still run.
file(READ ${WORK_DIR}/build/tests/CTestTestfile.cmake ctest_file)
if(NOT ctest_file MATCHES "doc_examples_test.py\" \"[^\"]*README.md\"" OR ctest_file MATCHES "\"--node\"")
  message(FATAL_ERROR "the doc examples are not run without --node:\n${ctest_file}")
endif()
# ... and get no empty argument in its place (argparse refuses one).
if(ctest_file MATCHES "doc_examples_test.py[^\n]*\"\"[ )]")
  message(FATAL_ERROR "the doc examples get an empty argument without node:\n${ctest_file}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
message(STATUS "configured without node; the tests that run Node are not registered")
