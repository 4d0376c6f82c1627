// Interrupt acceptance, priorities, EOI, errors and IPIs of the local APIC.
// Intel SDM, Dec 2023 (Order 325462-081), Vol. 3A, "Advanced Programmable Interrupt Controller
// (APIC)".
#include "devices/local_apic.hpp"

#include "devices/local_apic_regs.hpp"

namespace hvlab::devices {

using namespace lapic;

// --- Priorities ----------------------------------------------------------------------------

// SDM Vol. 3A, "Processor Priority Register (PPR)":
//   IF TPR[7:4] >= ISRV[7:4] THEN PPR[7:0] = TPR[7:0] ELSE PPR[7:4] = ISRV[7:4], PPR[3:0] = 0
// where ISRV is the highest in-service vector (0 if none).
uint8_t LocalApic::ppr() const {
    const int isrv = isr_.highest() < 0 ? 0 : isr_.highest();
    if ((tpr_ & 0xF0) >= (isrv & 0xF0)) return tpr_;
    return static_cast<uint8_t>(isrv & 0xF0);
}

// The arbitration priority of the APR figure (SDM Vol. 3A, "Lowest Priority Delivery Mode"):
//   IF TPR[7:4] >= IRRV[7:4] AND TPR[7:4] > ISRV[7:4] THEN APR[7:0] = TPR[7:0]
//   ELSE APR[7:4] = max(TPR[7:4] AND ISRV[7:4], IRRV[7:4]), APR[3:0] = 0
uint8_t LocalApic::apr() const {
    const unsigned tpr = tpr_ >> 4;
    const unsigned isrv = isr_.highest() < 0 ? 0 : static_cast<unsigned>(isr_.highest()) >> 4;
    const unsigned irrv = irr_.highest() < 0 ? 0 : static_cast<unsigned>(irr_.highest()) >> 4;
    if (tpr >= irrv && tpr > isrv) return tpr_;
    const unsigned cls = (tpr & isrv) > irrv ? (tpr & isrv) : irrv;
    return static_cast<uint8_t>(cls << 4);
}

// SDM Vol. 3A, "Interrupt Acceptance for Fixed Interrupts": the highest IRR vector is sent to
// the processor if its priority class is above the processor-priority class (PPR[7:4]). A
// software-disabled APIC keeps what is already in IRR deliverable ("Pending interrupts in the
// IRR and ISR registers are held and require masking or handling by the CPU").
int LocalApic::pending_vector() const {
    const int v = irr_.highest();
    if (v < 0 || !globally_enabled()) return -1;
    return (v & 0xF0) > (ppr() & 0xF0) ? v : -1;
}

void LocalApic::acknowledge(uint8_t vector) {
    if (!irr_.test(vector)) return;
    irr_.clear(vector);
    isr_.set(vector);
}

// "Upon receiving an EOI, the APIC clears the highest priority bit in the ISR". No I/O APIC
// exists yet, so a level-triggered EOI broadcasts to nobody. SDM Vol. 3A, "End-Of-Interrupt (EOI)".
void LocalApic::eoi() {
    const int v = isr_.highest();
    if (v >= 0) isr_.clear(static_cast<uint8_t>(v));
}

// --- Accepting interrupts ------------------------------------------------------------------

void LocalApic::raise(uint8_t vector, bool level) {
    accept(vector, level);
}

// "The local APIC will never set an IRR bit in the range 0 to 15" (Receive Illegal Vector).
// A software-disabled APIC accepts no new fixed interrupts. A second interrupt on a vector
// whose IRR bit is already set collapses into it. SDM Vol. 3A, "Error Handling" and
// "Interrupt Acceptance for Fixed Interrupts".
void LocalApic::accept(uint8_t vector, bool level) {
    if (!globally_enabled()) return;
    if (vector < kFirstLegalVector) {
        signal_error(kEsrReceiveIllegalVector);
        return;
    }
    if (!software_enabled()) return;
    irr_.set(vector);
    if (level)
        tmr_.set(vector);
    else
        tmr_.clear(vector);
}

// The timer and error LVT entries have no delivery-mode field: fixed, edge-triggered.
void LocalApic::deliver_lvt(unsigned lvt) {
    const uint32_t entry = lvt_[lvt];
    if (entry & kLvtMask) return;
    accept(static_cast<uint8_t>(entry & kLvtVector), false);
}

// Errors accumulate until the next ESR write; each newly logged error bit raises the LVT
// error interrupt once (the ESR write "rearms" it). Terminates even when the error entry holds
// an illegal vector: the second "receive illegal vector" is not new.
void LocalApic::signal_error(uint32_t esr_bits) {
    const uint32_t fresh = esr_bits & ~esr_pending_;
    esr_pending_ |= esr_bits;
    if (fresh) deliver_lvt(kError);
}

// --- Interprocessor interrupts -------------------------------------------------------------

void LocalApic::write_icr_low(uint32_t value) {
    icr_low_ = value & kIcrLowWritable;
    send_ipi(icr_low_, static_cast<uint8_t>(icr_high_ >> 24));
}

// hvlab has one CPU, so an IPI either reaches this APIC or nobody (an absent CPU: INIT, SIPI
// and fixed IPIs to other APIC IDs are dropped; the APIC-bus "send accept error" is a P6/Pentium
// ESR bit that an xAPIC never sets). The table "Valid Combinations for the Pentium 4 and Intel
// Xeon Processors' Local xAPIC Interrupt Command Register" (SDM Vol. 3A, "Issuing
// Interprocessor Interrupts") gives the rules applied here: level-triggered IPIs are treated
// as edge-triggered when the level bit is 1 and ignored otherwise; the self and
// all-including-self shorthands allow only fixed delivery. Sending lowest-priority IPIs is
// model specific and hvlab does not support it: ESR bit 4, "Redirectable IPI: Set when the
// local APIC detects an attempt to send an IPI with the lowest-priority delivery mode and the
// local APIC does not support the sending of such IPIs"; with an illegal vector too "the local
// APIC sets only the 'redirectible IPI' error bit" (SDM Vol. 3A, "Error Handling").
void LocalApic::send_ipi(uint32_t icr_low, uint8_t destination) {
    const uint32_t mode = (icr_low >> kIcrDeliveryModeShift) & 7;
    const uint32_t shorthand = (icr_low >> kIcrShorthandShift) & 3;
    const uint8_t vector = icr_low & kIcrVector;
    if ((icr_low & kIcrLevelTrigger) && !(icr_low & kIcrLevelAssert)) return;
    if (mode == kLowestPriority) {
        signal_error(kEsrRedirectableIpi);
        return;
    }
    if (mode == 3 || mode == kExtInt) return; // reserved delivery modes
    if ((shorthand == kSelf || shorthand == kAllIncludingSelf) && mode != kFixed) return;
    if (mode == kFixed && vector < kFirstLegalVector) signal_error(kEsrSendIllegalVector);
    if (ipi_targets_self(icr_low, destination)) deliver_ipi_to_self(icr_low);
}

bool LocalApic::ipi_targets_self(uint32_t icr_low, uint8_t destination) const {
    switch ((icr_low >> kIcrShorthandShift) & 3) {
    case kSelf:
    case kAllIncludingSelf: return true;
    case kAllExcludingSelf: return false;
    default: break;
    }
    if (icr_low & kIcrLogical) return matches_logical(destination);
    return destination == 0xFF || destination == apic_id(); // 0xFF: physical broadcast
}

// SDM Vol. 3A, "Logical Destination Mode": flat model (DFR[31:28] = 1111b) matches when the
// destination AND the LDR's logical ID is non-zero; cluster model (0000b) matches when the
// cluster (bits 7:4) is equal and the member bits (3:0) intersect, 0xFF reaching everyone.
bool LocalApic::matches_logical(uint8_t destination) const {
    const uint8_t logical_id = static_cast<uint8_t>(ldr_ >> 24);
    switch (dfr_ >> 28) {
    case 0xF: return (destination & logical_id) != 0;
    case 0x0:
        if (destination == 0xFF) return true;
        return (destination >> 4) == (logical_id >> 4) && (destination & logical_id & 0xF);
    default: return false; // reserved models
    }
}

// A self-IPI with an illegal vector is also an illegal vector received ("in an interrupt
// generated ... via a self IPI"). hvlab has no SMM, so an SMI IPI is dropped; this CPU is
// never in the wait-for-SIPI state when it runs code, so a SIPI is ignored.
void LocalApic::deliver_ipi_to_self(uint32_t icr_low) {
    switch ((icr_low >> kIcrDeliveryModeShift) & 7) {
    case kFixed: accept(icr_low & kIcrVector, false); break;
    case kNmi: nmi_pending_ = true; break;
    case kInit: init_request_ = true; break;
    default: break;
    }
}

bool LocalApic::take_init_request() {
    const bool r = init_request_;
    init_request_ = false;
    return r;
}

} // namespace hvlab::devices
