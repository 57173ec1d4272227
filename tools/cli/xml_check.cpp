// Checks that a file is well-formed XML with a <testsuites> root (for the JUnit report test).
// SPDX-License-Identifier: MIT
#include <iostream>
#include <pugixml.hpp>

int main(int argc, char* argv[]) {
    if (argc != 2) {
        std::cerr << "usage: lockstep_xml_check FILE\n";
        return 2;
    }
    pugi::xml_document doc;
    const auto result = doc.load_file(argv[1]);
    if (!result) {
        std::cerr << argv[1] << ": " << result.description() << " at offset " << result.offset
                  << "\n";
        return 1;
    }
    if (!doc.child("testsuites")) {
        std::cerr << argv[1] << ": no <testsuites> root\n";
        return 1;
    }
    std::cout << argv[1] << ": " << doc.child("testsuites").attribute("tests").as_int()
              << " tests\n";
    return 0;
}
