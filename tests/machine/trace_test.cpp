#include "machine/trace_diff.hpp"
#include "machine/trace_writer.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace hvlab::machine;

TEST_CASE("Trace lines are fixed-width hex keyed by virtual time") {
    Event e;
    e.time = 0x123;
    e.type = EventType::Exception;
    e.code = 14;
    e.flag = true;
    e.value = 2;
    e.addr = 0xFFFFFFFF80001000ull;
    CHECK(format_event(e) == "0000000000000123 exception vec=0e err=00000002 rip=ffffffff80001000");
    Event io;
    io.type = EventType::PortIo;
    io.code = 0x3F8;
    io.write = true;
    io.size = 1;
    io.value = 'H';
    CHECK(format_event(io) == "0000000000000000 ioport port=03f8 w size=1 val=00000048");
}

TEST_CASE("Serial text is quoted so one event is always one line") {
    Event e;
    e.type = EventType::SerialOutput;
    e.text = "a\"b\\c\x01";
    CHECK(format_event(e) == "0000000000000000 serial com1 \"a\\\"b\\\\c\\x01\"");
}

TEST_CASE("first_divergence finds the first differing line with context") {
    std::istringstream a("h\n1\n2\n3\n4\nX\n5\n"), b("h\n1\n2\n3\n4\nY\n5\n");
    auto d = first_divergence(a, b, 2);
    REQUIRE(d);
    CHECK(d->line == 6);
    CHECK(d->context == std::vector<std::string>{"3", "4"});
    CHECK(*d->left == "X");
    CHECK(*d->right == "Y");
}

TEST_CASE("first_divergence reports a trace that ends early, and nothing for equal traces") {
    std::istringstream a("h\n1\n"), b("h\n1\n2\n");
    auto d = first_divergence(a, b);
    REQUIRE(d);
    CHECK(d->line == 3);
    CHECK_FALSE(d->left);
    CHECK(*d->right == "2");
    std::istringstream c("h\n1\n"), e("h\n1\n");
    CHECK_FALSE(first_divergence(c, e));
}
