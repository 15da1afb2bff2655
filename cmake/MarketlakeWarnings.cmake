# Project warnings, applied to our targets only (Arrow's headers are SYSTEM).
function(ml_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
  if(ML_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
