#include "ui/gui/memory_reader.hpp"

#include "cpu/vmx/controls.hpp"
#include "cpu/vmx/vmcs_fields.hpp"
#include "mmu/ept_walk.hpp"

#include <algorithm>
#include <cstring>

namespace hvlab::gui {

const char* address_kind_name(AddressKind k) {
    switch (k) {
    case AddressKind::Linear: return "GVA";
    case AddressKind::GuestPhysical: return "GPA";
    case AddressKind::HostPhysical: return "HPA";
    }
    return "?";
}

uint64_t inspected_eptp(const cpu::CpuState& s) {
    namespace f = cpu::vmx::vmcs;
    if (s.vmx.current_vmcs == cpu::vmx::kInvalidVmcsPointer) return 0;
    const cpu::vmx::ProcBased primary(
        static_cast<uint32_t>(s.vmx.vmcs.get(f::CPU_BASED_VM_EXEC_CONTROL)));
    const cpu::vmx::ProcBased2 secondary(
        static_cast<uint32_t>(s.vmx.vmcs.get(f::SECONDARY_VM_EXEC_CONTROL)));
    if (!primary.activate_secondary_controls() || !secondary.enable_ept()) return 0;
    return s.vmx.vmcs.get(f::EPT_POINTER);
}

void read_memory(machine::Machine& m, AddressKind kind, uint64_t addr, uint8_t* dst, bool* valid,
                 size_t n, uint64_t eptp) {
    for (size_t done = 0; done < n;) {
        const uint64_t a = addr + done;
        const size_t chunk = std::min<size_t>(n - done, 0x1000 - (a & 0xFFF));
        bool ok = false;
        if (kind == AddressKind::Linear) {
            ok = m.cpu().memory().peek(m.cpu().state(), Gva(a), dst + done,
                                       static_cast<unsigned>(chunk));
        } else {
            uint64_t host = a;
            bool mapped = true;
            if (kind == AddressKind::GuestPhysical && eptp) {
                const mmu::EptWalkRecord w =
                    mmu::ept_walk(m.bus(), mmu::EptPointer{eptp}, Gpa(a), {mmu::Access::Read},
                                  {.set_accessed_dirty = false, .check_rights = false});
                mapped = w.reached_leaf();
                host = w.physical.value;
            }
            const uint8_t* p = mapped ? m.bus().ram_ptr(Hpa(host)) : nullptr;
            if (p) {
                std::memcpy(dst + done, p, chunk);
                ok = true;
            }
        }
        if (!ok) std::memset(dst + done, 0, chunk);
        std::fill(valid + done, valid + done + chunk, ok);
        done += chunk;
    }
}

} // namespace hvlab::gui
