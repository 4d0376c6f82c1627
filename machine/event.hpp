// The typed event stream (ARCHITECTURE.md, Observability): the single source for traces, the
// GUI timeline and statistics. Events are small values; emitting one when nobody listens costs
// one mask test (EventBus::wants).
#pragma once
#include <cstdint>
#include <string_view>

namespace hvlab::machine {

enum class EventType : uint8_t {
    Exception,      // code=vector, addr=RIP, value=error code, flag=has error code
    Interrupt,      // code=vector, addr=RIP
    PortIo,         // code=port, size, write, value
    Mmio,           // addr=host-physical address, size, write, value
    Unassigned,     // an access with no device behind it: io=port/mmio, addr, size, write, value
    SerialOutput,   // text = one line of a UART's output (without the newline), code=COM index
    VmEntry,        // addr=guest RIP, flag=VMLAUNCH (else VMRESUME)
    VmEntryFailure, // name=check id, code=VM-instruction error (7, 8) or exit reason (bit 31),
                    // text=the one-line diagnostic
    VmExit,         // code=exit reason, value=qualification, addr=guest RIP,
                    // extra=guest-physical address (EPT violation/misconfiguration)
    Dma,
    IommuFault,
    Halt,           // the CPU executed HLT: addr=RIP
    Shutdown,       // name=why (e.g. "triple fault")
    DebugExit,      // code=exit status
    Count
};

inline constexpr const char* kEventTypeNames[] = {
    "exception", "interrupt", "ioport",  "mmio", "unassigned",  "serial",   "vmentry",
    "vmentry-fail", "vmexit", "dma",     "iommu-fault", "halt", "shutdown", "debug-exit",
};
static_assert(sizeof(kEventTypeNames) / sizeof(kEventTypeNames[0]) ==
              static_cast<size_t>(EventType::Count));

struct Event {
    uint64_t time = 0; // virtual clock (retired instructions) when it happened
    EventType type = EventType::Exception;
    uint8_t size = 0;
    bool write = false;
    bool flag = false;  // type-specific (has error code; port vs MMIO for Unassigned)
    uint32_t code = 0;
    uint64_t addr = 0;
    uint64_t value = 0;
    uint64_t extra = 0;           // type-specific second value (VmExit: guest-physical address)
    const char* name = nullptr;   // static string or nullptr
    std::string_view text;        // valid only during the callback
};

using EventMask = uint32_t;
constexpr EventMask event_bit(EventType t) { return EventMask{1} << static_cast<unsigned>(t); }
inline constexpr EventMask kAllEvents = (EventMask{1} << static_cast<unsigned>(EventType::Count)) - 1;

} // namespace hvlab::machine
