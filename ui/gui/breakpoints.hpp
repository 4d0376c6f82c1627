// Breakpoints of the inspector: by address (guest-virtual = linear, or guest-physical), by
// VM-exit reason and by I/O port, each with a hit counter and an optional "stop only from
// the Nth hit on" condition. Pure bookkeeping: the session asks it whether a stop is due.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::gui {

enum class BreakKind : uint8_t { Linear, GuestPhysical, ExitReason, IoPort };

struct Breakpoint {
    BreakKind kind = BreakKind::Linear;
    uint64_t value = 0; // address, basic exit reason or port
    bool enabled = true;
    uint64_t hits = 0;      // times the condition was met (counted even below stop_from)
    uint64_t stop_from = 1; // stop on the hits-th hit if hits >= stop_from

    std::string describe() const;
};

class Breakpoints {
  public:
    // Adds (or re-enables) a breakpoint; returns its index.
    size_t add(BreakKind kind, uint64_t value, uint64_t stop_from = 1);
    void remove(size_t index);
    void clear() { list_.clear(); }
    std::vector<Breakpoint>& list() { return list_; }
    const std::vector<Breakpoint>& list() const { return list_; }

    bool any(BreakKind kind) const; // an enabled breakpoint of this kind exists
    // Counts a hit on every enabled breakpoint of `kind` with `value`; returns the first
    // that asks to stop, or -1.
    int hit(BreakKind kind, uint64_t value);
    // Is there an enabled breakpoint here (without counting)? For the disassembly gutter.
    bool has(BreakKind kind, uint64_t value) const;
    // Toggles a breakpoint from the gutter: removes it if present, else adds it.
    void toggle(BreakKind kind, uint64_t value);

  private:
    std::vector<Breakpoint> list_;
};

const char* break_kind_name(BreakKind kind);

} // namespace hvlab::gui
