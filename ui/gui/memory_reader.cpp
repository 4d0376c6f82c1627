#include "ui/gui/memory_reader.hpp"

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

void read_memory(machine::Machine& m, AddressKind kind, uint64_t addr, uint8_t* dst, bool* valid,
                 size_t n) {
    for (size_t done = 0; done < n;) {
        const uint64_t a = addr + done;
        const size_t chunk = std::min<size_t>(n - done, 0x1000 - (a & 0xFFF));
        bool ok = false;
        if (kind == AddressKind::Linear) {
            ok = m.cpu().memory().peek(m.cpu().state(), Gva(a), dst + done,
                                       static_cast<unsigned>(chunk));
        } else {
            // Guest-physical equals host-physical outside EPT; under EPT the page-walk panel
            // shows the EPT translation and this view reads the host-physical page.
            const uint8_t* p = m.bus().ram_ptr(Hpa(a));
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
