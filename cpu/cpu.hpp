// One logical processor: decoder + interpreter + decoded-instruction cache, over the
// architectural state, linear memory and the CpuEnv of the machine.
//
// CONTRACT: the public members below are what machine/, tests/ (incl. the Unicorn
// differential harness) and the bench code against. The implementation may add private
// members and more public helpers.
#pragma once
#include "cpu/cpu_env.hpp"
#include "cpu/cpu_state.hpp"
#include "cpu/linear_memory.hpp"
#include "mmu/phys_bus.hpp"

#include <cstdint>
#include <memory>

namespace hvlab::cpu {

enum class StopReason : uint8_t {
    Budget,    // retired max_insns instructions
    Halted,    // HLT with no pending event: the machine should skip time to the next timer
    Shutdown,  // triple fault (or another shutdown condition): the machine reports it
    Requested, // request_stop() was called (a device ended the run, e.g. debug-exit)
};

struct RunResult {
    uint64_t retired = 0;
    StopReason reason = StopReason::Budget;
};

class Cpu {
  public:
    Cpu(mmu::PhysBus& bus, CpuEnv& env);
    ~Cpu();

    CpuState& state() { return state_; }
    const CpuState& state() const { return state_; }
    LinearMemory& memory() { return mem_; }

    // Virtual time: retired instructions, plus whatever the machine skips while halted. A VM
    // exit caused by an instruction counts as one step (the instruction itself does not
    // retire), both here and in RunResult::retired.
    uint64_t clock() const { return clock_; }
    void set_clock(uint64_t t) { clock_ = t; }

    // Execute until max_insns instructions retire or a stop condition. An exception raised by
    // an instruction is delivered through the IDT and counts as that instruction's retirement
    // only if the SDM says it retired (traps); faults re-execute after the handler.
    RunResult run(uint64_t max_insns);
    // Execute exactly one instruction (or deliver one pending event).
    RunResult step() { return run(1); }
    // Ask run() to return after the current instruction (callable from CpuEnv callbacks).
    void request_stop() { stop_requested_ = true; }

    // After the machine or a tool changed state_ behind the CPU's back (e.g. loaded a new
    // CR3/mode, wrote code bytes): drop decoded instructions and TLB entries.
    void invalidate_caches();
    // The machine forwards mmu::BusObserver::code_page_written here (self-modifying code).
    void code_page_written(uint64_t page_number);

  private:
    struct Impl;
    CpuState state_;
    LinearMemory mem_;
    uint64_t clock_ = 0;
    bool stop_requested_ = false;
    std::unique_ptr<Impl> impl_; // decoder cache, dispatch tables, etc.
};

} // namespace hvlab::cpu
