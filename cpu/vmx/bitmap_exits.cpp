// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3C, "I/O-Bitmap Addresses" and
// "MSR-Bitmap Address".
#include "cpu/vmx/bitmap_exits.hpp"

namespace hvlab::cpu::vmx {
namespace {

// Bit `bit` of the bitmap that starts at byte `offset`.
bool bit_set(Bitmap4K bitmap, uint32_t offset, uint32_t bit) {
    return (bitmap[offset + bit / 8] >> (bit % 8)) & 1;
}

} // namespace

bool io_causes_exit(ProcBased proc, Bitmap4K bitmap_a, Bitmap4K bitmap_b, uint16_t port,
                    unsigned size) {
    if (!proc.use_io_bitmaps()) return proc.unconditional_io_exiting();
    for (uint32_t p = port; p < uint32_t{port} + size; ++p) {
        if (p > 0xFFFF) return true; // wraps around the 16-bit port space
        if (p < 0x8000 ? bit_set(bitmap_a, 0, p) : bit_set(bitmap_b, 0, p - 0x8000)) return true;
    }
    return false;
}

bool msr_access_causes_exit(ProcBased proc, Bitmap4K msr_bitmap, uint32_t msr, bool write) {
    if (!proc.use_msr_bitmaps()) return true;
    uint32_t base;
    if (msr <= 0x1FFF)
        base = 0;
    else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
        base = 1024;
    else
        return true;
    if (write) base += 2048;
    return bit_set(msr_bitmap, base, msr & 0x1FFF);
}

} // namespace hvlab::cpu::vmx
