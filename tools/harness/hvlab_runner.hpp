// The side under test: hvlab's Cpu over its own PhysBus, with the system tables of
// system_tables.hpp. An exception or interrupt is recognised by the CpuEnv delivery hooks.
#pragma once
#include "cpu/cpu.hpp"
#include "mmu/phys_bus.hpp"
#include "tools/harness/step_outcome.hpp"
#include "tools/harness/stream.hpp"
#include "tools/harness/system_regs.hpp"

#include <cstdint>
#include <vector>

namespace hvlab::tools {

class HvlabRunner final : public cpu::CpuEnv {
  public:
    explicit HvlabRunner(Mode mode);

    void load(const Stream& s);
    StepOutcome step();
    ArchState read() const;
    SystemRegs read_system() const;
    // The system registers every stream starts from (system_tables.hpp).
    static SystemRegs initial_system(Mode mode);
    // Port I/O since the last load(): IN reads all ones (no devices), OUT is logged.
    const std::vector<PortAccess>& port_log() const { return ports_; }
    // Host view of one page of a test region (RAM is host memory), or nullptr.
    const uint8_t* page(uint64_t address);
    cpu::Cpu& cpu() { return cpu_; }

    // cpu::CpuEnv
    uint32_t port_in(uint16_t port, unsigned size) override;
    void port_out(uint16_t port, unsigned size, uint32_t value) override;
    void exception_delivered(uint8_t vector, bool, uint32_t, uint64_t) override;
    void interrupt_delivered(uint8_t vector, uint64_t) override;
    void shutdown(const char*) override { shutdown_ = true; }

  private:
    Mode mode_;
    mmu::PhysBus bus_;
    cpu::Cpu cpu_;
    std::vector<uint8_t> system_;
    int first_vector_ = -1;
    bool shutdown_ = false;
    std::vector<PortAccess> ports_;
};

} // namespace hvlab::tools
