#include "ui/gui/breakpoints.hpp"

#include "cpu/vmx/exit_reason.hpp"

#include <cstdio>

namespace hvlab::gui {

const char* break_kind_name(BreakKind kind) {
    switch (kind) {
    case BreakKind::Linear: return "gva";
    case BreakKind::GuestPhysical: return "gpa";
    case BreakKind::ExitReason: return "exit";
    case BreakKind::IoPort: return "io";
    }
    return "?";
}

std::string Breakpoint::describe() const {
    char buf[128];
    switch (kind) {
    case BreakKind::Linear:
    case BreakKind::GuestPhysical:
        std::snprintf(buf, sizeof buf, "%s 0x%llx", break_kind_name(kind),
                      static_cast<unsigned long long>(value));
        break;
    case BreakKind::ExitReason: {
        const std::string_view name = cpu::vmx::exit_reason_name(static_cast<uint32_t>(value));
        std::snprintf(buf, sizeof buf, "exit %llu (%.*s)", static_cast<unsigned long long>(value),
                      static_cast<int>(name.size()), name.data());
        break;
    }
    case BreakKind::IoPort:
        std::snprintf(buf, sizeof buf, "io port 0x%04llx", static_cast<unsigned long long>(value));
        break;
    }
    return buf;
}

size_t Breakpoints::add(BreakKind kind, uint64_t value, uint64_t stop_from) {
    for (size_t i = 0; i < list_.size(); ++i) {
        if (list_[i].kind == kind && list_[i].value == value) {
            list_[i].enabled = true;
            list_[i].stop_from = stop_from ? stop_from : 1;
            return i;
        }
    }
    list_.push_back({kind, value, true, 0, stop_from ? stop_from : 1});
    return list_.size() - 1;
}

void Breakpoints::remove(size_t index) {
    if (index < list_.size()) list_.erase(list_.begin() + static_cast<long>(index));
}

bool Breakpoints::any(BreakKind kind) const {
    for (const Breakpoint& b : list_)
        if (b.enabled && b.kind == kind) return true;
    return false;
}

bool Breakpoints::has(BreakKind kind, uint64_t value) const {
    for (const Breakpoint& b : list_)
        if (b.enabled && b.kind == kind && b.value == value) return true;
    return false;
}

int Breakpoints::hit(BreakKind kind, uint64_t value) {
    int stop = -1;
    for (size_t i = 0; i < list_.size(); ++i) {
        Breakpoint& b = list_[i];
        if (!b.enabled || b.kind != kind || b.value != value) continue;
        ++b.hits;
        if (stop < 0 && b.hits >= b.stop_from) stop = static_cast<int>(i);
    }
    return stop;
}

void Breakpoints::toggle(BreakKind kind, uint64_t value) {
    for (size_t i = 0; i < list_.size(); ++i) {
        if (list_[i].kind == kind && list_[i].value == value) return remove(i);
    }
    add(kind, value);
}

} // namespace hvlab::gui
