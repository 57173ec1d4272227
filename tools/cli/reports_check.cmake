# ctest script: `lockstep conform --format json|junit` on embedded SQLite produce reports that
# parse, and the JSON says what ran.
# SPDX-License-Identifier: MIT
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

# A report that cannot be written fails the run (exit 3) and says why: a CI job must not pass
# without its JUnit file.
execute_process(COMMAND ${LOCKSTEP} conform --filter [url] --format junit
                        --output ${WORK}/no/such/folder/report.xml
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 3 OR NOT err MATCHES "cannot write the junit report")
    message(FATAL_ERROR "an unwritable --output gave exit ${rc}:\n${err}")
endif()

# --version prints the library's version.
execute_process(COMMAND ${LOCKSTEP} --version OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^lockstep [0-9]+\\.[0-9]+\\.[0-9]+")
    message(FATAL_ERROR "lockstep --version printed \"${out}\" (exit ${rc})")
endif()
