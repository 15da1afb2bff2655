# Project warnings, applied to our targets only (Arrow's headers are SYSTEM).
function(ml_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports impossible memcpy overlaps inside std::string's operator+ at -O2/-O3
    # (GCC bug 105651, fixed in 13); the warning has no true positives to offer here.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(ML_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
