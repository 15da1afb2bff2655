# Finds Arrow C++ 26 (arrow, arrow_compute, parquet, arrow_dataset, arrow_acero, arrow_s3)
# and defines imported targets marketlake::arrow, ::arrow_compute, ::parquet,
# ::arrow_dataset, ::arrow_acero, ::arrow_s3.
#
# Order: the project's pinned virtualenv (pyarrow wheel: headers and shared libraries,
# ../shared/ARCHITECTURE.md section 1), else a system install via find_package(Arrow).
# ML_ARROW_PYTHON can point at another interpreter that has pyarrow.
set(ML_ARROW_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH
    "Python interpreter whose pyarrow provides Arrow C++")

set(_ml_arrow_libs arrow arrow_compute parquet arrow_dataset arrow_acero arrow_s3)

if(EXISTS "${ML_ARROW_PYTHON}")
  execute_process(
    COMMAND "${ML_ARROW_PYTHON}" -c
            "import pyarrow as pa; print(pa.get_include()); print(pa.get_library_dirs()[0]); print(pa.__version__)"
    OUTPUT_VARIABLE _ml_out RESULT_VARIABLE _ml_rc OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

if(DEFINED _ml_rc AND _ml_rc EQUAL 0)
  string(REPLACE "\n" ";" _ml_out "${_ml_out}")
  list(GET _ml_out 0 ML_ARROW_INCLUDE_DIR)
  list(GET _ml_out 1 ML_ARROW_LIB_DIR)
  list(GET _ml_out 2 ML_ARROW_VERSION)
  string(REGEX MATCH "^[0-9]+" _ml_major "${ML_ARROW_VERSION}")
  message(STATUS "Arrow C++ ${ML_ARROW_VERSION} from pyarrow at ${ML_ARROW_LIB_DIR}")
  foreach(lib IN LISTS _ml_arrow_libs)
    set(_so "${ML_ARROW_LIB_DIR}/lib${lib}.so.${_ml_major}00")
    if(NOT EXISTS "${_so}")
      message(FATAL_ERROR "Missing ${_so}: is pyarrow ${ML_ARROW_VERSION} complete?")
    endif()
    add_library(marketlake::${lib} SHARED IMPORTED GLOBAL)
    set_target_properties(marketlake::${lib} PROPERTIES
      IMPORTED_LOCATION "${_so}"
      IMPORTED_NO_SONAME OFF
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${ML_ARROW_INCLUDE_DIR}"
      INTERFACE_INCLUDE_DIRECTORIES "${ML_ARROW_INCLUDE_DIR}")
  endforeach()
else()
  find_package(Arrow REQUIRED CONFIG)
  find_package(Parquet REQUIRED CONFIG)
  find_package(ArrowDataset REQUIRED CONFIG)
  find_package(ArrowAcero REQUIRED CONFIG)
  find_package(ArrowCompute CONFIG QUIET)
  message(STATUS "Arrow C++ ${Arrow_VERSION} (system install)")
  add_library(marketlake::arrow INTERFACE IMPORTED GLOBAL)
  target_link_libraries(marketlake::arrow INTERFACE Arrow::arrow_shared)
  add_library(marketlake::arrow_compute INTERFACE IMPORTED GLOBAL)
  if(TARGET ArrowCompute::arrow_compute_shared)
    target_link_libraries(marketlake::arrow_compute INTERFACE ArrowCompute::arrow_compute_shared)
  endif()
  add_library(marketlake::parquet INTERFACE IMPORTED GLOBAL)
  target_link_libraries(marketlake::parquet INTERFACE Parquet::parquet_shared)
  add_library(marketlake::arrow_dataset INTERFACE IMPORTED GLOBAL)
  target_link_libraries(marketlake::arrow_dataset INTERFACE ArrowDataset::arrow_dataset_shared)
  add_library(marketlake::arrow_acero INTERFACE IMPORTED GLOBAL)
  target_link_libraries(marketlake::arrow_acero INTERFACE ArrowAcero::arrow_acero_shared)
  # System installs keep S3 inside libarrow; Arrow 26's wheel splits it into libarrow_s3.
  add_library(marketlake::arrow_s3 INTERFACE IMPORTED GLOBAL)
  get_target_property(_loc Arrow::arrow_shared LOCATION)
  get_filename_component(ML_ARROW_LIB_DIR "${_loc}" DIRECTORY)
endif()

add_library(marketlake_arrow_all INTERFACE)
target_link_libraries(marketlake_arrow_all INTERFACE
  marketlake::arrow_dataset marketlake::arrow_acero marketlake::parquet
  marketlake::arrow_compute marketlake::arrow_s3 marketlake::arrow)
