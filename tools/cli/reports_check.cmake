# ctest script: `lockstep conform --format json|junit` on embedded SQLite produce reports that
# parse, and the JSON says what ran.
foreach(format json junit markdown)
    execute_process(COMMAND ${LOCKSTEP} conform --filter [url] --format ${format}
                            --output ${WORK}/report.${format}
                    RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "conform --format ${format} exited with ${rc}:\n${err}")
    endif()
endforeach()
file(READ ${WORK}/report.json json)
string(JSON schema GET "${json}" schema)
string(JSON ok GET "${json}" ok)
string(JSON passed GET "${json}" engines 0 passed)
string(JSON cases LENGTH "${json}" cases)
# Every [url] case passes on embedded SQLite, and the JSON lists each of them once.
if(NOT schema STREQUAL "lockstep-conform/1" OR NOT ok OR cases LESS 3 OR NOT passed EQUAL cases)
    message(FATAL_ERROR "unexpected JSON report: ${json}")
endif()
execute_process(COMMAND ${XML_CHECK} ${WORK}/report.junit RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the JUnit report is not well-formed")
endif()
file(READ ${WORK}/report.markdown markdown)
if(NOT markdown MATCHES "\\| case \\| sqlite \\|")
    message(FATAL_ERROR "unexpected Markdown report: ${markdown}")
endif()
