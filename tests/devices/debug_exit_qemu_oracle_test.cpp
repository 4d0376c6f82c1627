// What reads of isa-debug-exit and fw_cfg return on real QEMU, compared with our models. A test
// kernel reads port 0xF4 as a byte and a word, selects fw_cfg key 0x0001 (ID) and reads one
// data byte, and sends the four bytes to COM1.
#include "devices/debug_exit.hpp"
#include "devices/fw_cfg.hpp"
#include "qemu_runner.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;

namespace {
// as --32:  in $0xF4,%al; mov $0x3F8,%dx; out %al,%dx
//           in $0xF4,%ax; out %al,%dx; mov %ah,%al; out %al,%dx
//           mov $0x510,%dx; mov $1,%ax; out %ax,%dx; mov $0x511,%dx; in %dx,%al
//           mov $0x3F8,%dx; out %al,%dx; mov $0x10,%al; out %al,$0xF4; 1: hlt; jmp 1b
const std::vector<uint8_t> kReads = {
    0xe4, 0xf4, 0x66, 0xba, 0xf8, 0x03, 0xee, 0x66, 0xe5, 0xf4, 0xee, 0x88, 0xe0, 0xee,
    0x66, 0xba, 0x10, 0x05, 0x66, 0xb8, 0x01, 0x00, 0x66, 0xef, 0x66, 0xba, 0x11, 0x05,
    0xec, 0x66, 0xba, 0xf8, 0x03, 0xee, 0xb0, 0x10, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};
} // namespace

TEST_CASE("debug-exit reads and the fw_cfg ID match QEMU", "[debug-exit][fw_cfg][qemu]") {
    if (!have_qemu()) {
        WARN("qemu-system-x86_64 not installed: comparison skipped");
        return;
    }
    const auto qemu = run_on_qemu(kReads, "");
    REQUIRE(qemu.size() == 4);
    devices::DebugExit d([](int) {});
    CHECK(qemu[0] == d.port_read(0, 1));
    CHECK(uint32_t(qemu[1] | qemu[2] << 8) == d.port_read(0, 2));
    // QEMU 7.2 also offers DMA (ID bit 1); hvlab's fw_cfg is the traditional interface only.
    devices::FwCfg fw(64 << 20, 1);
    fw.port_write(0, 2, devices::FwCfg::kId);
    CHECK((qemu[3] & ~2) == fw.port_read(1, 1));
}
