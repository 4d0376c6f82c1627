// The local APIC register file and its memory-mapped access rules.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Advanced Programmable Interrupt Controller
// (APIC)". Register map: devices/local_apic_regs.hpp.
#include "devices/local_apic.hpp"

#include "devices/local_apic_regs.hpp"

namespace hvlab::devices {

using namespace lapic;

LocalApic::LocalApic(DeviceClock& clock, DeviceTimer& timer, uint8_t apic_id, bool bsp)
    : hw_id_(apic_id), bsp_(bsp), timer_(clock, timer, [this] { timer_expired(); }) {
    reset();
}

void LocalApic::reset() {
    apic_base_ = kDefaultApicBase | kApicBaseEnable | (bsp_ ? kApicBaseBsp : 0);
    reset_registers();
    notify_base_change();
}

void LocalApic::init() {
    const uint32_t id = id_;
    reset_registers();
    id_ = id;
}

void LocalApic::apply_bios_handoff() {
    write_svr(svr_ | kSvrSoftwareEnable);
    write_lvt(kLint0, (kExtInt << 8) | kLvtLevelTrigger);
    write_lvt(kLint1, (kNmi << 8) | kLvtLevelTrigger);
    icr_low_ = (kAllExcludingSelf << kIcrShorthandShift) | kIcrLevelAssert |
               (kStartup << kIcrDeliveryModeShift) | 0x10;
}

// SDM Vol. 3A, "Local APIC State After Power-Up or Reset": IRR, ISR, TMR, ICR, LDR, TPR, the
// timer counts and divide configuration 0; DFR all ones; LVT entries masked; SVR 0xFF (the
// APIC starts software-disabled); ID the hardware-assigned one.
void LocalApic::reset_registers() {
    id_ = uint32_t{hw_id_} << 24;
    tpr_ = 0;
    ldr_ = 0;
    dfr_ = 0xFFFF'FFFF;
    svr_ = 0xFF;
    esr_ = esr_pending_ = 0;
    icr_low_ = icr_high_ = 0;
    lvt_.fill(kLvtReset);
    irr_.clear_all();
    isr_.clear_all();
    tmr_.clear_all();
    timer_.reset();
    nmi_pending_ = false;
    init_request_ = false;
}

bool LocalApic::software_enabled() const {
    return svr_ & kSvrSoftwareEnable;
}

// --- Memory-mapped access ------------------------------------------------------------------
//
// SDM Vol. 3A, "Local APIC Register Address Map": "All 32-bit registers should be accessed
// using 128-bit aligned 32-bit loads or stores. Some processors may support loads and stores of
// less than 32 bits to some of the APIC registers. This is model specific behavior". hvlab's
// model (docs/lapic.md):
//   - a read of any size returns, byte by byte, bytes 0-3 of each 16-byte slot from its
//     register and 0 for bytes 4-15 (so a 1- or 2-byte read sees part of the register);
//   - a write reaches a register only if it starts at a 16-byte boundary and is at least 4
//     bytes wide (its low 32 bits are written; bytes 4-7 fall in the slot's reserved part);
//     narrower or unaligned writes are dropped, since they cannot carry a whole register;
//   - both kinds are counted in odd_size_accesses();
//   - with IA32_APIC_BASE.EN = 0 the page is absent: reads all ones, writes ignored.

uint64_t LocalApic::mmio_read(uint64_t offset, unsigned size) {
    if (size > 8) size = 8;
    if (!globally_enabled()) return size >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * size)) - 1;
    timer_.catch_up();
    if (size == 4 && (offset & 0xF) == 0 && offset < kMmioSize)
        return read_register(static_cast<uint32_t>(offset));
    ++odd_size_accesses_;
    uint64_t value = 0;
    uint32_t cached_slot = ~0u, cached_value = 0;
    for (unsigned i = 0; i < size; ++i)
        value |= uint64_t{read_slot_byte(offset + i, cached_slot, cached_value)} << (8 * i);
    return value;
}

// One byte of an odd-sized read; each register is read once per access (cached_slot).
uint32_t LocalApic::read_slot_byte(uint64_t offset, uint32_t& cached_slot, uint32_t& cached_value) {
    const unsigned in_slot = offset & 0xF;
    if (offset >= kMmioSize || in_slot >= 4) return 0;
    const auto slot = static_cast<uint32_t>(offset & ~uint64_t{0xF});
    if (slot != cached_slot) {
        cached_slot = slot;
        cached_value = read_register(slot);
    }
    return (cached_value >> (8 * in_slot)) & 0xFF;
}

void LocalApic::mmio_write(uint64_t offset, unsigned size, uint64_t value) {
    if (!globally_enabled()) return;
    timer_.catch_up();
    if (size != 4 || (offset & 0xF) != 0) ++odd_size_accesses_;
    if (size < 4 || (offset & 0xF) != 0 || offset >= kMmioSize) return;
    write_register(static_cast<uint32_t>(offset), static_cast<uint32_t>(value));
}

// An access to an unimplemented register sets ESR bit 7. SDM Vol. 3A, "Error Handling".
uint32_t LocalApic::read_register(uint32_t offset) {
    bool known = false;
    const uint32_t value = read_known(offset, known);
    if (!known) signal_error(kEsrIllegalRegister);
    return value;
}

void LocalApic::write_register(uint32_t offset, uint32_t value) {
    if (!write_known(offset, value)) signal_error(kEsrIllegalRegister);
}

uint32_t LocalApic::peek_register(uint32_t offset) const {
    bool known = false;
    return read_known(offset, known);
}

int LocalApic::lvt_index(uint32_t offset) {
    if (offset == kLvtCmci) return kCmci;
    if (offset >= kLvtTimer && offset <= kLvtError && (offset & 0xF) == 0)
        return static_cast<int>(kTimer + (offset - kLvtTimer) / 16);
    return -1;
}

uint32_t LocalApic::read_known(uint32_t offset, bool& known) const {
    known = true;
    if (offset >= kIsrBase && offset < kIsrBase + 0x80) return isr_.word((offset - kIsrBase) >> 4);
    if (offset >= kTmrBase && offset < kTmrBase + 0x80) return tmr_.word((offset - kTmrBase) >> 4);
    if (offset >= kIrrBase && offset < kIrrBase + 0x80) return irr_.word((offset - kIrrBase) >> 4);
    if (const int lvt = lvt_index(offset); lvt >= 0) return lvt_[lvt];
    switch (offset) {
    case kId: return id_;
    case kVersion: return kVersionValue;
    case kTpr: return tpr_;
    case kApr: return apr();
    case kPpr: return ppr();
    case kEoi: return 0; // write-only; a read-modify-write of EOI must not fault
    case kLdr: return ldr_;
    case kDfr: return dfr_;
    case kSvr: return svr_;
    case kEsr: return esr_;
    case kIcrLow: return icr_low_; // delivery status always 0: an IPI is sent at once
    case kIcrHigh: return icr_high_;
    case kTimerInitialCount: return timer_.initial_count();
    case kTimerCurrentCount: return timer_.current_count();
    case kTimerDivide: return timer_.divide_config();
    default: known = false; return 0;
    }
}

// Returns false for an offset with no register. Writes to read-only registers are ignored.
bool LocalApic::write_known(uint32_t offset, uint32_t value) {
    if (const int lvt = lvt_index(offset); lvt >= 0) {
        write_lvt(static_cast<unsigned>(lvt), value);
        return true;
    }
    switch (offset) {
    case kId: id_ = value & 0xFF00'0000; return true; // xAPIC ID is bits 31:24
    case kTpr: tpr_ = static_cast<uint8_t>(value); return true;
    case kEoi: eoi(); return true;
    case kLdr: ldr_ = value & 0xFF00'0000; return true;
    case kDfr: dfr_ = value | 0x0FFF'FFFF; return true; // bits 27:0 read as ones
    case kSvr: write_svr(value); return true;
    case kEsr: write_esr(); return true;
    case kIcrLow: write_icr_low(value); return true;
    case kIcrHigh: icr_high_ = value & kIcrHighWritable; return true;
    case kTimerInitialCount: timer_.write_initial_count(value); return true;
    case kTimerDivide: timer_.write_divide_config(value); return true;
    default: break;
    }
    bool known = false;
    read_known(offset, known); // version, APR, PPR, ISR/TMR/IRR, current count: read-only
    return known;
}

uint32_t LocalApic::lvt_writable(unsigned lvt) {
    switch (lvt) {
    case kTimer: return kLvtTimerWritable;
    case kLint0:
    case kLint1: return kLvtLintWritable;
    case kError: return kLvtErrorWritable;
    default: return kLvtModeWritable; // CMCI, thermal, performance counters
    }
}

// SDM Vol. 3A, "Local APIC State After It Has Been Software Disabled": while SVR bit 8 is 0
// "the mask bits for all the LVT entries are set. Attempts to reset these bits will be ignored."
// Delivery status reads 0 (idle) because hvlab delivers local interrupts at once; remote IRR is
// read-only.
void LocalApic::write_lvt(unsigned lvt, uint32_t value) {
    uint32_t v = (value & lvt_writable(lvt)) | (lvt_[lvt] & kLvtRemoteIrr);
    if (!software_enabled()) v |= kLvtMask;
    lvt_[lvt] = v;
    if (lvt == kTimer)
        timer_.set_mode(static_cast<ApicTimer::Mode>((v & kLvtTimerMode) >> kLvtTimerModeShift));
}

// Bits 7:0 spurious vector (all writable on an xAPIC), 8 software enable, 9 focus processor
// checking. Clearing bit 8 masks every LVT entry. SDM Vol. 3A, "Spurious Interrupt".
void LocalApic::write_svr(uint32_t value) {
    svr_ = value & kSvrWritable;
    if (!software_enabled())
        for (uint32_t& e : lvt_)
            e |= kLvtMask;
}

// "Before attempt to read from the ESR, software should first write to it. ... This write
// clears any previously logged errors and updates the ESR with any errors detected since the
// last write to the ESR. This write also rearms the APIC error interrupt triggering mechanism."
// SDM Vol. 3A, "Error Handling".
void LocalApic::write_esr() {
    esr_ = esr_pending_;
    esr_pending_ = 0;
}

} // namespace hvlab::devices
