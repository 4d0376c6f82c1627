// Runs a flat 32-bit test kernel under qemu-system-x86_64 (the reference the devices are
// compared with) and returns what it wrote to COM1. The kernel is loaded with the Multiboot
// a.out kludge at 0x100000 with its code at 0x100020, and ends with a debug-exit write of 0x10.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::test {

bool have_qemu();
// image: everything after the 32-byte Multiboot header (code at file offset 0x20).
// extra_args: e.g. "-serial null" for a second UART.
std::vector<uint8_t> run_on_qemu(const std::vector<uint8_t>& body, const std::string& extra_args);

} // namespace hvlab::test
