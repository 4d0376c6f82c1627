// I/O-bitmap and MSR-bitmap lookups: whether IN/OUT/INS/OUTS or RDMSR/WRMSR in VMX non-root
// operation cause a VM exit. Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "I/O-Bitmap
// Addresses", "MSR-Bitmap Address" and "Instructions That Cause VM Exits Conditionally".
// The caller reads the 4 KiB bitmaps from memory: their VMCS addresses are physical
// addresses, never translated through EPT.
#pragma once
#include "cpu/vmx/controls.hpp"

#include <cstdint>
#include <span>

namespace hvlab::cpu::vmx {

using Bitmap4K = std::span<const uint8_t, 4096>;

// "If the 'use I/O bitmaps' VM-execution control is 0, ... executions of I/O instructions
// cause VM exits only if 'unconditional I/O exiting' is 1. If it is 1, ... an I/O
// instruction causes a VM exit if any bit in the I/O bitmaps corresponding to a port it
// accesses is 1 ... [or] if the I/O operation 'wraps around' the 16-bit I/O-port space."
// Bitmap A covers ports 0000H-7FFFH, bitmap B 8000H-FFFFH. `size` is 1, 2 or 4 bytes.
bool io_causes_exit(ProcBased proc, Bitmap4K bitmap_a, Bitmap4K bitmap_b, uint16_t port,
                    unsigned size);

// "If the 'use MSR bitmaps' VM-execution control is 0, every execution of RDMSR or WRMSR
// causes a VM exit." Otherwise the read bitmap for low MSRs (00000000H-00001FFFH) is at
// offset 0, for high MSRs (C0000000H-C0001FFFH) at 1024; the write bitmaps at 2048 and 3072.
// An MSR outside both ranges always causes a VM exit.
bool msr_access_causes_exit(ProcBased proc, Bitmap4K msr_bitmap, uint32_t msr, bool write);

} // namespace hvlab::cpu::vmx
