# Warnings as an INTERFACE target that the project's own targets link;
# nothing is set globally, so third-party headers keep their own flags.
add_library(rsim_warnings INTERFACE)
target_compile_options(rsim_warnings INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion>)
