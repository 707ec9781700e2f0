# facemesh_demo: the C++ demo binary (cpp/demo/facemesh_demo.cc).
#
# Included by the top-level CMakeLists.txt under `if(FMN_BUILD_DEMO)`, after the fmn_core
# target exists. Needs OpenCV's core, imgproc, imgcodecs and videoio (Debian/Ubuntu:
# libopencv-dev); without them it warns and builds nothing.
#
# Cache variables: FMN_DEMO_GRAPHS_DIR and FMN_DEMO_MODELS_DIR, the binary's default --graphs
# and --models folders (the source tree's graphs/ and third_party/mediapipe/: the same graph
# files and models the Python package ships).
# With FMN_BUILD_TESTS, adds the ctest `facemesh_demo_astronaut` (runs the demo on
# tests/data/astronaut.png and expects a device line).
get_filename_component(FMN_DEMO_ROOT "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

find_package(OpenCV QUIET COMPONENTS core imgproc imgcodecs videoio)
if(NOT OpenCV_FOUND)
  message(WARNING "FMN_BUILD_DEMO is ON but OpenCV (core, imgproc, imgcodecs, videoio) was not "
                  "found: facemesh_demo is not built. Install libopencv-dev or set OpenCV_DIR.")
  return()
endif()

set(FMN_DEMO_GRAPHS_DIR "${FMN_DEMO_ROOT}/graphs" CACHE PATH "facemesh_demo's default --graphs folder")
set(FMN_DEMO_MODELS_DIR "${FMN_DEMO_ROOT}/third_party/mediapipe" CACHE PATH
    "facemesh_demo's default --models folder (also holds face_mesh_connections.json)")

add_executable(facemesh_demo ${FMN_DEMO_ROOT}/cpp/demo/facemesh_demo.cc)
target_link_libraries(facemesh_demo PRIVATE fmn_core ${OpenCV_LIBS})
target_include_directories(facemesh_demo PRIVATE ${OpenCV_INCLUDE_DIRS})
target_compile_definitions(facemesh_demo PRIVATE
  FMN_DEMO_GRAPHS_DIR="${FMN_DEMO_GRAPHS_DIR}"
  FMN_DEMO_MODELS_DIR="${FMN_DEMO_MODELS_DIR}")
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(facemesh_demo PRIVATE -Wall -Wextra)
endif()

if(FMN_BUILD_TESTS)
  add_test(NAME facemesh_demo_astronaut
           COMMAND facemesh_demo ${FMN_DEMO_ROOT}/tests/data/astronaut.png
                   --out ${CMAKE_CURRENT_BINARY_DIR}/facemesh_demo_astronaut.png
                   --json ${CMAKE_CURRENT_BINARY_DIR}/facemesh_demo_astronaut.json)
  set_tests_properties(facemesh_demo_astronaut PROPERTIES
    PASS_REGULAR_EXPRESSION "frame 0: 1 face\\(s\\).*device: cpu")
endif()
