// QEMU's -initrd "a arg,b" list form.
#include "common/error.hpp"
#include "machine/loader/boot_loader.hpp"
#include "machine/loader/multiboot_info.hpp"

#include <catch2/catch.hpp>

using hvlab::machine::parse_initrd_list;

TEST_CASE("initrd list splits on commas and the first space", "[loader]") {
    const auto m = parse_initrd_list("mod1.bin arg1 arg2,mod2.bin");
    REQUIRE(m.size() == 2);
    CHECK(m[0].path == "mod1.bin");
    CHECK(m[0].args == "arg1 arg2");
    CHECK(m[1].path == "mod2.bin");
    CHECK(m[1].args == "");
}

TEST_CASE("initrd list: a doubled comma is a literal comma", "[loader]") {
    const auto m = parse_initrd_list("a,,b x,,y,c");
    REQUIRE(m.size() == 2);
    CHECK(m[0].path == "a,b");
    CHECK(m[0].args == "x,y");
    CHECK(m[1].path == "c");
    // And the reverse mapping QEMU's layout depends on.
    CHECK(hvlab::machine::initrd_string(m) == "a,,b x,,y,c");
}

TEST_CASE("initrd list with an empty item is refused", "[loader][bad]") {
    try {
        parse_initrd_list("a,");
        FAIL("no error");
    } catch (const hvlab::UserError& e) {
        CHECK(std::string(e.what()) == "empty module name in initrd list 'a,'");
    }
    CHECK_THROWS_AS(parse_initrd_list(""), hvlab::UserError);
    CHECK_THROWS_AS(parse_initrd_list(" args-only"), hvlab::UserError);
}
