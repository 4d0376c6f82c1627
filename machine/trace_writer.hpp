// Writes the event stream as a golden trace: versioned, line-oriented text, one event per
// line, keyed by the virtual clock, fixed-width hex, no host-dependent values
// (ARCHITECTURE.md, Observability). Format (version 1):
//
//   hvlab-trace 1
//   <time:16 hex> <type> <type-specific fields, key=value, hex fixed width>
//
// e.g. "0000000000000123 ioport port=03f8 w size=1 val=00000048".
#pragma once
#include "machine/event_bus.hpp"

#include <cstdio>
#include <string>

namespace hvlab::machine {

inline constexpr int kTraceVersion = 1;

// Formats one event as a trace line (no newline).
std::string format_event(const Event& e);

class TraceWriter : public EventSink {
  public:
    // Takes ownership of nothing: `out` stays open until the writer is destroyed by the caller.
    explicit TraceWriter(std::FILE* out, bool write_header = true);
    void on_event(const Event& e) override;

  private:
    std::FILE* out_;
};

} // namespace hvlab::machine
