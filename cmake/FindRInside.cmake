# Finds R, Rcpp and RInside by asking Rscript (they ship no CMake config)
# and defines imported targets R::R (libR + headers) and RInside::RInside.
#   RInside_FOUND, R_HOME, R_VERSION_STRING
find_program(RSCRIPT_EXECUTABLE Rscript)
if(RSCRIPT_EXECUTABLE)
  execute_process(
    COMMAND ${RSCRIPT_EXECUTABLE} --vanilla -e
      "cat(R.home(), R.home('include'), system.file('include', package = 'Rcpp'), system.file('include', package = 'RInside'), system.file('lib', package = 'RInside'), paste(R.version$major, R.version$minor, sep = '.'), sep = ';')"
    OUTPUT_VARIABLE _r_out ERROR_QUIET RESULT_VARIABLE _r_rc)
  if(_r_rc EQUAL 0)
    list(LENGTH _r_out _r_n)
    if(_r_n EQUAL 6)
      list(GET _r_out 0 R_HOME)
      list(GET _r_out 1 _r_inc)
      list(GET _r_out 2 _rcpp_inc)
      list(GET _r_out 3 _rinside_inc)
      list(GET _r_out 4 _rinside_lib)
      list(GET _r_out 5 R_VERSION_STRING)
    endif()
  endif()
endif()

find_library(R_LIBRARY NAMES R HINTS ${R_HOME}/lib NO_DEFAULT_PATH)
find_library(RINSIDE_LIBRARY NAMES RInside HINTS ${_rinside_lib} NO_DEFAULT_PATH)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(RInside REQUIRED_VARS R_LIBRARY RINSIDE_LIBRARY _r_inc _rcpp_inc _rinside_inc
                                  VERSION_VAR R_VERSION_STRING)
if(RInside_FOUND AND NOT TARGET RInside::RInside)
  add_library(R::R SHARED IMPORTED)
  set_target_properties(R::R PROPERTIES IMPORTED_LOCATION ${R_LIBRARY}
                                        INTERFACE_INCLUDE_DIRECTORIES "${_r_inc}")
  add_library(RInside::RInside SHARED IMPORTED)
  set_target_properties(RInside::RInside PROPERTIES IMPORTED_LOCATION ${RINSIDE_LIBRARY}
                                                    INTERFACE_INCLUDE_DIRECTORIES "${_rinside_inc};${_rcpp_inc}"
                                                    INTERFACE_LINK_LIBRARIES R::R)
endif()
