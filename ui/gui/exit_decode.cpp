#include "ui/gui/exit_decode.hpp"

#include "cpu/vmx/entry_check.hpp"
#include "cpu/vmx/exit_reason.hpp"
#include "cpu/vmx/vmcs_fields.hpp"

#include <cstdarg>
#include <cstdio>

namespace hvlab::gui {
namespace {

namespace f = cpu::vmx::vmcs;
using cpu::vmx::ExitReason;

std::string fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* format, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, format);
    std::vsnprintf(buf, sizeof buf, format, ap);
    va_end(ap);
    return buf;
}

// SDM Vol. 3C, "Format of Interruption-Information Fields": type 10:8.
const char* event_type_name(unsigned type) {
    static const char* const names[8] = {
        "external interrupt", "reserved",           "NMI",
        "hardware exception", "software interrupt", "privileged software exception",
        "software exception", "other event"};
    return names[type & 7];
}

std::string interruption(uint32_t info, uint32_t error) {
    if (!(info >> 31)) return "no valid interruption information";
    std::string s = fmt("vector %u, %s", info & 0xFF, event_type_name(info >> 8 & 7));
    if (info >> 11 & 1) s += fmt(", error code 0x%x", error);
    return s;
}

// SDM Vol. 3C, "Exit Qualification for Control-Register Accesses".
std::string cr_access(uint64_t q) {
    const unsigned cr = q & 0xF, type = q >> 4 & 3, reg = q >> 8 & 0xF;
    switch (type) {
    case 0: return fmt("MOV to CR%u from %s", cr, gpr_name(reg));
    case 1: return fmt("MOV from CR%u to %s", cr, gpr_name(reg));
    case 2: return "CLTS";
    default:
        return fmt("LMSW %s, source 0x%04x", (q >> 6 & 1) ? "memory" : "register",
                   static_cast<unsigned>(q >> 16 & 0xFFFF));
    }
}

// SDM Vol. 3C, "Exit Qualification for I/O Instructions".
std::string io(uint64_t q) {
    const unsigned size = (q & 7) + 1, port = q >> 16 & 0xFFFF;
    return fmt("%s%s%s port 0x%04x, %u byte%s, %s", (q >> 5 & 1) ? "REP " : "",
               (q >> 3 & 1) ? "IN" : "OUT", (q >> 4 & 1) ? "S" : "", port, size,
               size > 1 ? "s" : "", (q >> 6 & 1) ? "immediate" : "DX");
}

// SDM Vol. 3C, "Exit Qualification for EPT Violations".
std::string ept_violation(uint64_t q, const cpu::vmx::VmcsStore& v) {
    std::string access = (q & 1) ? "read" : (q & 2) ? "write" : (q & 4) ? "fetch" : "access";
    std::string s =
        fmt("%s of GPA 0x%llx, EPT allows %c%c%c", access.c_str(),
            static_cast<unsigned long long>(v.get(f::GUEST_PHYSICAL_ADDRESS)),
            (q >> 3 & 1) ? 'r' : '-', (q >> 4 & 1) ? 'w' : '-', (q >> 5 & 1) ? 'x' : '-');
    if (q >> 7 & 1)
        s += fmt(", linear 0x%llx (%s)",
                 static_cast<unsigned long long>(v.get(f::GUEST_LINEAR_ADDRESS)),
                 (q >> 8 & 1) ? "the access itself" : "a guest paging-structure entry");
    return s;
}

// SDM Vol. 3C, "VM-Entry Failures During or After Loading Guest State".
std::string entry_failure(uint32_t basic, uint64_t q) {
    if (basic == cpu::vmx::kExitReasonMsrLoading)
        return fmt("MSR-load entry %llu failed", static_cast<unsigned long long>(q));
    switch (q) {
    case 2: return "problem loading the PDPTEs";
    case 3: return "NMI injection while blocking by STI";
    case 4: return "invalid VMCS link pointer";
    default: return "invalid guest state";
    }
}

} // namespace

const char* gpr_name(unsigned index) {
    static const char* const names[16] = {"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                          "R8",  "R9",  "R10", "R11", "R12", "R13", "R14", "R15"};
    return names[index & 15];
}

std::string exit_reason_label(uint32_t reason) {
    const uint32_t basic = reason & 0xFFFF;
    const std::string_view name = cpu::vmx::exit_reason_name(basic);
    std::string s = name.empty() ? fmt("unknown (%u)", basic) : std::string(name);
    if (reason & cpu::vmx::kExitReasonEntryFailure) s = "entry failure: " + s;
    return s;
}

std::string decode_exit(uint32_t reason, uint64_t q, const cpu::vmx::VmcsStore& v,
                        const std::array<uint64_t, 16>& gpr) {
    const uint32_t basic = reason & 0xFFFF;
    if (reason & cpu::vmx::kExitReasonEntryFailure) return entry_failure(basic, q);
    switch (static_cast<ExitReason>(basic)) {
    case ExitReason::ExceptionOrNmi: {
        std::string s = interruption(static_cast<uint32_t>(v.get(f::VM_EXIT_INTR_INFO)),
                                     static_cast<uint32_t>(v.get(f::VM_EXIT_INTR_ERROR_CODE)));
        if ((v.get(f::VM_EXIT_INTR_INFO) & 0xFF) == 14)
            s += fmt(", CR2 0x%llx", static_cast<unsigned long long>(q)); // #PF: qual = linear
        return s;
    }
    case ExitReason::ExternalInterrupt:
        return interruption(static_cast<uint32_t>(v.get(f::VM_EXIT_INTR_INFO)), 0);
    case ExitReason::Cpuid:
        return fmt("leaf EAX=0x%x, ECX=0x%x", static_cast<unsigned>(gpr[0]),
                   static_cast<unsigned>(gpr[1]));
    case ExitReason::Vmcall: return fmt("RAX=0x%llx", static_cast<unsigned long long>(gpr[0]));
    case ExitReason::Rdmsr: return fmt("MSR 0x%x", static_cast<unsigned>(gpr[1]));
    case ExitReason::Wrmsr:
        return fmt("MSR 0x%x <- 0x%08x%08x", static_cast<unsigned>(gpr[1]),
                   static_cast<unsigned>(gpr[2]), static_cast<unsigned>(gpr[0]));
    case ExitReason::CrAccess: return cr_access(q);
    case ExitReason::MovDr:
        return fmt("MOV %s DR%u %s %s", (q >> 4 & 1) ? "from" : "to", static_cast<unsigned>(q & 7),
                   (q >> 4 & 1) ? "to" : "from", gpr_name(q >> 8 & 0xF));
    case ExitReason::IoInstruction: return io(q);
    case ExitReason::EptViolation: return ept_violation(q, v);
    case ExitReason::EptMisconfiguration:
        return fmt("GPA 0x%llx", static_cast<unsigned long long>(v.get(f::GUEST_PHYSICAL_ADDRESS)));
    case ExitReason::Invlpg: return fmt("linear 0x%llx", static_cast<unsigned long long>(q));
    case ExitReason::TaskSwitch: return fmt("selector 0x%04x", static_cast<unsigned>(q & 0xFFFF));
    default: return q ? fmt("qualification 0x%llx", static_cast<unsigned long long>(q)) : "";
    }
}

} // namespace hvlab::gui
