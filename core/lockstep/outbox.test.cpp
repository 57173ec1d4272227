// Unit tests of the outbox's parts that need no engine: payload decoding and misuse.
// SPDX-License-Identifier: MIT
#include "lockstep/outbox.hpp"

#include "lockstep/atomic.hpp"
#include "testing/fake_session.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>

using namespace lockstep;

TEST_CASE("A binary outbox payload decodes from its hex digits to the same bytes", "[outbox]") {
    outbox_delivery d;
    d.binary = true;
    d.payload = "00ff0a80";
    CHECK(d.bytes() == blob{std::byte{0}, std::byte{0xff}, std::byte{0x0a}, std::byte{0x80}});
    d.payload = "";
    CHECK(d.bytes().empty());
}

TEST_CASE("A text outbox payload gives its own bytes", "[outbox]") {
    outbox_delivery d;
    d.payload = "hi";
    CHECK(d.bytes() == blob{std::byte{'h'}, std::byte{'i'}});
}

TEST_CASE("A binary outbox payload changed by hand is a data_error, not wrong bytes", "[outbox]") {
    outbox_delivery d;
    d.binary = true;
    d.payload = "abc"; // odd length
    CHECK_THROWS_AS(d.bytes(), data_error);
    d.payload = "zz";
    CHECK_THROWS_AS(d.bytes(), data_error);
}

TEST_CASE("An outbox dispatcher refuses options it cannot honour", "[outbox]") {
    testing::fake_connection f;
    const outbox box("box");
    outbox_options none;
    none.max_attempts = 0;
    CHECK_THROWS_AS(outbox_dispatcher(f.db, box, none), usage_error);
    outbox_options empty;
    empty.batch = 0;
    CHECK_THROWS_AS(outbox_dispatcher(f.db, box, empty), usage_error);
    outbox_dispatcher d(f.db, box);
    CHECK_THROWS_AS(d.handle("t", nullptr), usage_error);
}

TEST_CASE("An outbox dispatcher refuses to run inside the caller's atomic block", "[outbox]") {
    testing::fake_connection f;
    const outbox box("box");
    outbox_dispatcher d(f.db, box);
    // Its short transactions would become part of the caller's, marked delivered before the
    // caller commits (semantics 11.3).
    atomic(f.db, [&] { CHECK_THROWS_AS(d.dispatch_once(), usage_error); });
}

TEST_CASE("on_commit_durable needs a topic", "[outbox]") {
    testing::fake_connection f;
    const outbox box("box");
    CHECK_THROWS_AS(on_commit_durable(f.db, box, "", "payload"), usage_error);
    CHECK(f.session->calls().empty()); // refused before anything reached the engine
}

TEST_CASE("An outbox index name fits every engine's limit and stays distinct for long tables",
          "[outbox]") {
    CHECK(outbox("mail_outbox").index_name() == "mail_outbox_pending");
    const std::string stem(60, 'o');
    const outbox first(stem + "_first"), second(stem + "_second");
    CHECK(first.index_name().size() <= 63); // PostgreSQL's limit; MariaDB's is 64
    CHECK(second.index_name().size() <= 63);
    CHECK(first.index_name() != second.index_name());
    CHECK(first.index_name() == outbox(stem + "_first").index_name()); // the same in every run
}

TEST_CASE("An outbox notifies only when asked to", "[outbox]") {
    CHECK_FALSE(outbox("plain").notifies());
    CHECK(outbox("loud", {.notify = true}).notifies());
}

namespace {

/// The calls that reached the fake engine and mention `text`, in order.
std::vector<std::string> calls_with(const testing::fake_connection& f, std::string_view text) {
    std::vector<std::string> out;
    for (const auto& call : f.session->calls())
        if (call.find(text) != std::string::npos)
            out.push_back(call);
    return out;
}

} // namespace

TEST_CASE("A transaction locks a topic's row once, before that topic's first message", "[outbox]") {
    testing::fake_connection f;
    f.session->mutable_features().supports_concurrent_writers = true;
    const outbox box("box");
    atomic(f.db, [&] {
        on_commit_durable(f.db, box, "t", "1");
        on_commit_durable(f.db, box, "t", "2");
        on_commit_durable(f.db, box, "u", "3");
    });
    const auto locks = calls_with(f, "\"box_topics\"");
    CHECK(locks.size() == 2); // t and u, each once
    const auto& sent = f.session->calls();
    const auto first_lock = std::find_if(sent.begin(), sent.end(), [](const std::string& c) {
        return c.find("\"box_topics\"") != std::string::npos;
    });
    const auto first_message = std::find_if(sent.begin(), sent.end(), [](const std::string& c) {
        return c.find("INSERT INTO \"box\"") != std::string::npos;
    });
    CHECK(first_lock < first_message);
    f.session->clear_calls();
    atomic(f.db, [&] { on_commit_durable(f.db, box, "t", "4"); });
    CHECK(calls_with(f, "\"box_topics\"").size() == 1); // a new transaction locks again
}

TEST_CASE("A savepoint rolled back after a topic's lock makes the next message lock it again",
          "[outbox][savepoints]") {
    testing::fake_connection f;
    f.session->mutable_features().supports_concurrent_writers = true;
    f.session->mutable_features().supports_savepoints = true;
    const outbox box("box");
    atomic(f.db, [&] {
        CHECK_THROWS_AS(atomic(f.db,
                               [&] {
                                   on_commit_durable(f.db, box, "t", "lost");
                                   throw std::runtime_error("rolled back");
                               }),
                        std::runtime_error);
        on_commit_durable(f.db, box, "t", "kept");
        on_commit_durable(f.db, box, "t", "kept too");
    });
    CHECK(calls_with(f, "\"box_topics\"").size() == 2);
}

TEST_CASE("Topics are not locked with ordered topics off, nor on an engine of one writer",
          "[outbox]") {
    testing::fake_connection f;
    const outbox ordered("box"), unordered("free", {.ordered_topics = false});
    atomic(f.db, [&] { on_commit_durable(f.db, ordered, "t", "one writer at a time"); });
    f.session->mutable_features().supports_concurrent_writers = true;
    atomic(f.db, [&] { on_commit_durable(f.db, unordered, "t", "unordered"); });
    CHECK(calls_with(f, "_topics\"").empty());
    CHECK(calls_with(f, "INSERT INTO").size() == 2); // both messages were written
}

TEST_CASE("An outbox's topic table is named after it and fits every engine's limit", "[outbox]") {
    CHECK(outbox("mail_outbox").topics().name() == "mail_outbox_topics");
    const std::string stem(60, 'o');
    const outbox first(stem + "_first"), second(stem + "_second");
    CHECK(first.topics().name().size() <= 63);
    CHECK(first.topics().name() != second.topics().name());
}
