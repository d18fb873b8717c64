# Finds every dependency as an imported target.  Packages without a CMake
# config of their own (Random123, the parallel HDF5 build) get one here.

find_package(MPI REQUIRED COMPONENTS C CXX)

# Debian installs a serial and an Open MPI HDF5 side by side; ask for the
# parallel one explicitly.  Its target lacks mpi.h's path: link MPI::MPI_C.
set(HDF5_PREFER_PARALLEL ON)
find_package(HDF5 REQUIRED COMPONENTS C)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "rsim needs the parallel (Open MPI) HDF5 build; install libhdf5-openmpi-dev "
                      "(scripts/setup-deps.sh does) or point HDF5_C_COMPILER_EXECUTABLE at h5pcc")
endif()
if(NOT TARGET HDF5::HDF5)
  add_library(HDF5::HDF5 INTERFACE IMPORTED)
  target_include_directories(HDF5::HDF5 INTERFACE ${HDF5_C_INCLUDE_DIRS})
  target_link_libraries(HDF5::HDF5 INTERFACE ${HDF5_C_LIBRARIES})
endif()

find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(Boost 1.71 REQUIRED COMPONENTS program_options)
find_package(tomlplusplus 3 REQUIRED)

find_path(RANDOM123_INCLUDE_DIR Random123/philox.h REQUIRED)
add_library(Random123::Random123 INTERFACE IMPORTED)
target_include_directories(Random123::Random123 INTERFACE ${RANDOM123_INCLUDE_DIR})

find_package(Threads REQUIRED)

# JSON (status feed, error logs, `rsim inspect`, `rsim --task`), SHA-256
# (nettle), CSV (libcsv), deflate (libdeflate) and checksums (xxHash): Debian's libraries, not
# hand-written code.
find_package(nlohmann_json 3.9 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(NETTLE REQUIRED IMPORTED_TARGET GLOBAL nettle)
# deflate for the result file's chunks (io/chunk_stage.hpp)
pkg_check_modules(LIBDEFLATE REQUIRED IMPORTED_TARGET GLOBAL libdeflate)
# checksums of checkpoint segments (io/checkpoint.cpp)
pkg_check_modules(LIBXXHASH REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
find_path(LIBCSV_INCLUDE_DIR csv.h REQUIRED)
find_library(LIBCSV_LIBRARY csv REQUIRED)
add_library(LibCsv::LibCsv UNKNOWN IMPORTED GLOBAL)
set_target_properties(LibCsv::LibCsv PROPERTIES IMPORTED_LOCATION ${LIBCSV_LIBRARY}
                                                INTERFACE_INCLUDE_DIRECTORIES ${LIBCSV_INCLUDE_DIR})

# Embedded R (the r backend).  Without it rsim still builds; backend = "r"
# then fails at set-up with a clear message (run/make_runner.cpp).
option(RSIM_WITH_R "Build the embedded R backend (needs R, Rcpp, RInside)" ON)
if(RSIM_WITH_R)
  find_package(RInside)
  if(NOT RInside_FOUND)
    message(WARNING "R/RInside not found: building without the r backend (install r-cran-rinside)")
    set(RSIM_WITH_R OFF)
  endif()
endif()

# Open MPI refuses to start as root unless told; ctest runs as whoever builds.
set(RSIM_MPIEXEC_PREFLAGS ${MPIEXEC_PREFLAGS})
execute_process(COMMAND id -u OUTPUT_VARIABLE _rsim_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
if(_rsim_uid STREQUAL "0")
  execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE _rsim_mpiv ERROR_QUIET)
  if(_rsim_mpiv MATCHES "Open MPI|OpenRTE")
    list(APPEND RSIM_MPIEXEC_PREFLAGS --allow-run-as-root)
  endif()
endif()
list(APPEND RSIM_MPIEXEC_PREFLAGS --oversubscribe)
