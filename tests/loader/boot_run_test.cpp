// The entry states in use: small kernels booted on the whole machine print their command line
// (found through the information structure) on COM1 and report through isa-debug-exit.
#include "image_builder.hpp"
#include "machine/machine.hpp"

#include <catch2/catch.hpp>

using namespace hvlab;
using namespace hvlab::test;

namespace {

struct StringSink : devices::ByteSink {
    std::string text;
    void put(uint8_t b) override { text += static_cast<char>(b); }
};

// as --64: xorps %xmm0,%xmm0; movaps %xmm0,%xmm1       (SSE usable: CR4.OSFXSR)
//          mov 16(%rdi),%esi; mov $0x3F8,%dx          (cmdline through RDI)
//       1: lodsb; test %al,%al; jz 2f; out %al,%dx; jmp 1b
//       2: mov %rsp,%rax; and $0xF,%eax; add (%rsp),%rax; add $8,%eax
//          out %al,$0xF4    (0x10 iff RSP = 8 mod 16 and the return address is 0)
//       3: hlt; jmp 3b
const std::vector<uint8_t> kElf64Code = {0x0f, 0x57, 0xc0, 0x0f, 0x28, 0xc8, 0x8b, 0x77, 0x10, 0x66,
                                         0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb,
                                         0xf8, 0x48, 0x89, 0xe0, 0x83, 0xe0, 0x0f, 0x48, 0x03, 0x04,
                                         0x24, 0x83, 0xc0, 0x08, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};

// as --32: cmp $0x2BADB002,%eax; jne 4f; mov 16(%ebx),%esi; mov $0x3F8,%dx
//       1: lodsb; test %al,%al; jz 2f; out %al,%dx; jmp 1b
//       2: mov $0x10,%al; out %al,$0xF4
//       4: mov $0x11,%al; out %al,$0xF4; 3: hlt; jmp 3b
const std::vector<uint8_t> kMultibootCode = {0x3d, 0x02, 0xb0, 0xad, 0x2b, 0x75, 0x13, 0x8b, 0x73,
                                             0x10, 0x66, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74,
                                             0x03, 0xee, 0xeb, 0xf8, 0xb0, 0x10, 0xe6, 0xf4, 0xb0,
                                             0x11, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};

struct Run {
    StringSink serial;
    machine::MachineStop stop;
};

Run boot_and_run(const std::string& path, const std::string& append) {
    Run r;
    machine::Machine m(machine::MachineConfig{}, r.serial);
    m.boot({path, append, {}});
    r.stop = m.run(machine::RunLimit{1'000'000, 0});
    return r;
}

} // namespace

TEST_CASE("an ELF64 kernel runs in long mode from the documented entry state", "[loader][run]") {
    ScratchDir dir;
    ElfSpec s;
    s.is64 = true;
    s.machine = 62;
    s.multiboot = false;
    s.entry = 0x100000;
    s.segments.push_back({0x100000, 0x100000, kElf64Code, 0x1000, true});
    const auto path = dir.write("k64.elf", build_elf(s));
    const Run r = boot_and_run(path, "hello 64");
    CHECK(r.serial.text == path + " hello 64");
    CHECK(r.stop.cause == machine::StopCause::DebugExit);
    CHECK(r.stop.exit_status == 0x21); // stack aligned as after a CALL, return address 0
}

TEST_CASE("a Multiboot kernel runs in 32-bit protected mode with EAX and EBX set",
          "[loader][run]") {
    ScratchDir dir;
    ElfSpec s;
    s.entry = 0x100000;
    s.segments.push_back({0x100000, 0x100000, kMultibootCode, 0x1000, true});
    const auto path = dir.write("k32.elf", build_elf(s));
    const Run r = boot_and_run(path, "hello 32");
    CHECK(r.serial.text == path + " hello 32");
    CHECK(r.stop.cause == machine::StopCause::DebugExit);
    CHECK(r.stop.exit_status == 0x21); // EAX held the Multiboot magic
}
