// libFuzzer harness for the connection URL parser: no input crashes it or escapes as anything
// but configuration_error, and no password reaches a message or a printable URL (semantics 8.7).
// SPDX-License-Identifier: MIT
#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

// Server schemes only: an SQLite URL's text after "//" is a file path, with no password in it.
constexpr std::string_view schemes[] = {"postgresql", "mysql",    "soci+postgresql", "soci+mysql",
                                        "mariadb",    "postgres", "soci+odbc"};

void require(bool ok) {
    if (!ok)
        std::abort(); // libFuzzer reports the input that got here
}

// The whole input as a URL: anything but configuration_error is a bug.
void parse_raw(std::string_view text) {
    try {
        const auto url = lockstep::parse_connection_url(text);
        (void)url.redacted();
        (void)url.engine();
    } catch (const lockstep::configuration_error&) {
    }
    (void)lockstep::redact_url_text(text);
}

// The input as a password inside a well-formed URL: wherever the parser splits it, the
// password's marker never reaches what is printed.
void password_never_printed(std::string_view data) {
    if (data.empty())
        return;
    const auto scheme = schemes[static_cast<unsigned char>(data[0]) % std::size(schemes)];
    data.remove_prefix(1);
    // The markers make the password recognisable: no other part of the URL contains them.
    const std::string password = "Q7z" + std::string(data) + "K4v";
    for (const char* tail :
         {"@db.example:5432/app", "@db.example/app?sslmode=disable", "@%2Frun%2Fsock/app"}) {
        const std::string text = std::string(scheme) + "://app:" + password + tail;
        std::string printed;
        try {
            printed = lockstep::parse_connection_url(text).redacted();
        } catch (const lockstep::configuration_error& e) {
            printed = e.what();
        }
        require(printed.find("Q7z") == std::string::npos);
        require(printed.find("K4v") == std::string::npos);
        const auto masked = lockstep::redact_url_text(text);
        require(masked.find("Q7z") == std::string::npos && masked.find("K4v") == std::string::npos);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    parse_raw(text);
    password_never_printed(text);
    return 0;
}
