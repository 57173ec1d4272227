# ctest script: `lockstep demo` prints exactly the two answer lines, then the explanation.
# SPDX-License-Identifier: MIT
execute_process(COMMAND ${LOCKSTEP} demo OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "lockstep demo exited with ${rc}:\n${out}")
endif()
string(REPLACE "\n" ";" lines "${out}")
list(GET lines 0 first)
list(GET lines 1 second)
if(NOT first STREQUAL "MainModel exists: False" OR NOT second STREQUAL "SignalModel exists: False")
    message(FATAL_ERROR "unexpected demo output:\n${out}")
endif()
