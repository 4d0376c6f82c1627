// `hvlab run --stats`: a summary of the run printed at the end (events by class, instructions,
// how the run ended).
#pragma once
#include "machine/event_bus.hpp"
#include "machine/machine.hpp"

#include <array>
#include <cstdio>

namespace hvlab::ui {

class RunStats : public machine::EventSink {
  public:
    void on_event(const machine::Event& e) override { ++counts_[static_cast<unsigned>(e.type)]; }
    void print(std::FILE* out, machine::Machine& m, const machine::MachineStop& stop) const;

  private:
    std::array<uint64_t, static_cast<size_t>(machine::EventType::Count)> counts_{};
};

} // namespace hvlab::ui
