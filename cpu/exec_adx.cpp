// ADX: ADCX (add with CF as carry in and out) and ADOX (add with OF as carry in and out); every
// other flag is unchanged, so two carry chains can be interleaved.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 2A, ADCX and ADOX.
#include "cpu/sse_helpers.hpp"

namespace hvlab::cpu {

namespace {

template <uint64_t CarryFlag> Fault exec_adx(Exec& x, const DecodedInsn& d) {
    uint64_t src;
    if (Fault f = read_rm(x, d, d.opsize, src)) return f;
    const uint64_t m = size_mask(d.opsize);
    const uint64_t a = get_reg(x, d, d.reg, d.opsize);
    uint64_t& rf = flags(x);
    const bool c = rf & CarryFlag;
    const uint64_t r = (a + src + c) & m;
    const bool carry_out = c ? r <= a : r < a;
    set_reg(x, d, d.reg, d.opsize, r);
    rf = carry_out ? (rf | CarryFlag) : (rf & ~CarryFlag);
    return kNoFault;
}

constexpr uint32_t S32 = rowf::Size32;

const OpcodeRow kRows[] = {
    // map           op    pfx       ext      mnemonic operands flags handler
    {Map::Three38, 0xF6, Pfx::P66, kAnyExt, "adcx", "Gy,Ey", S32, exec_adx<rflags::CF>},
    {Map::Three38, 0xF6, Pfx::F3, kAnyExt, "adox", "Gy,Ey", S32, exec_adx<rflags::OF>},
};

} // namespace

std::span<const OpcodeRow> adx_rows() {
    return kRows;
}

} // namespace hvlab::cpu
