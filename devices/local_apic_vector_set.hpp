// A 256-bit vector register of the local APIC (IRR, ISR or TMR) with the highest set vector
// cached, so the run loop's per-instruction "is anything pending?" check is O(1).
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Interrupt Acceptance for Fixed Interrupts":
// bit n of the 256 bits stands for vector n; the guest sees it as 8 x 32-bit registers.
#pragma once
#include <array>
#include <bit>
#include <cstdint>

namespace hvlab::devices {

class ApicVectorSet {
  public:
    bool test(uint8_t v) const { return (words_[v >> 5] >> (v & 31)) & 1; }

    void set(uint8_t v) {
        words_[v >> 5] |= 1u << (v & 31);
        if (v > highest_) highest_ = v;
    }

    void clear(uint8_t v) {
        words_[v >> 5] &= ~(1u << (v & 31));
        if (v == highest_) highest_ = scan_highest();
    }

    void clear_all() {
        words_.fill(0);
        highest_ = -1;
    }

    // The highest set vector, or -1 when empty.
    int highest() const { return highest_; }

    // The guest view: word i holds vectors 32*i .. 32*i+31.
    uint32_t word(unsigned i) const { return words_[i & 7]; }

  private:
    int scan_highest() const {
        for (int i = 7; i >= 0; --i)
            if (words_[i]) return i * 32 + 31 - std::countl_zero(words_[i]);
        return -1;
    }

    std::array<uint32_t, 8> words_{};
    int highest_ = -1;
};

} // namespace hvlab::devices
