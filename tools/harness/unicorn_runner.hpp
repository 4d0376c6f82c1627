// The reference side: Unicorn 2.0.1 in UC_MODE_64 or UC_MODE_32 over the three test regions.
// Unicorn runs with paging off (it maps linear = physical itself), so an access outside the
// regions is reported as unmapped, which in 64-bit mode corresponds to hvlab's #PF (or #GP/#SS
// for a non-canonical address).
#pragma once
#include "tools/harness/step_outcome.hpp"
#include "tools/harness/stream.hpp"
#include "tools/harness/system_regs.hpp"

#include <cstdint>
#include <unicorn/unicorn.h>

namespace hvlab::tools {

class UnicornRunner {
  public:
    explicit UnicornRunner(Mode mode);
    ~UnicornRunner();
    UnicornRunner(const UnicornRunner&) = delete;
    UnicornRunner& operator=(const UnicornRunner&) = delete;

    void load(const Stream& s);
    StepOutcome step();
    ArchState read() const;
    uint64_t read_rip() const;
    void write_gpr(unsigned index, uint64_t value);
    // Gives Unicorn hvlab's system registers (CR0 without PG in 64-bit mode, see
    // system_regs.hpp) and makes them part of the state every stream starts from.
    void init_system(const SystemRegs& sys);
    SystemRegs read_system() const;
    // Port I/O that Unicorn performed since the last load(), in the order it happened.
    const std::vector<PortAccess>& port_log() const { return ports_; }
    // Host view of a test region's bytes (the regions are mapped from host memory).
    const uint8_t* region(uint64_t base) const;

  private:
    static void on_interrupt(uc_engine* uc, uint32_t intno, void* self);
    static uint32_t on_in(uc_engine* uc, uint32_t port, int size, void* self);
    static void on_out(uc_engine* uc, uint32_t port, int size, uint32_t value, void* self);
    static bool on_unmapped(uc_engine* uc, uc_mem_type type, uint64_t address, int size,
                            int64_t value, void* self);
    void write_regs(const ArchState& a, uint64_t fs_base, uint64_t gs_base);

    Mode mode_;
    uc_engine* uc_ = nullptr;
    uint8_t* mem_[3] = {};
    uc_context* pristine_ = nullptr; // CPU state right after creation
    int intno_ = -1;
    bool unmapped_ = false;
    bool unmapped_fetch_ = false;
    uint64_t unmapped_addr_ = 0;
    std::vector<PortAccess> ports_;
    uint64_t loads_ = 0; // streams loaded (for the periodic translation-cache flush)
};

} // namespace hvlab::tools
