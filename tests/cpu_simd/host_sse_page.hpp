// An executable host page that runs one SSE instruction between a prologue and an epilogue, for
// the tests that compare hvlab with the host CPU (tests/cpu_simd/sse_float_test.cpp, masked
// exceptions; tests/cpu_audit/sse_test.cpp, unmasked exceptions). The instruction's operands are
// xmm1, xmm2 and rax/eax; the page is called with RDI = &HostSseIo.
#pragma once
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace hvlab::cpu::test {

// Layout known to the prologue/epilogue below: offsets 0x00, 0x10, 0x20, 0x28, 0x30, 0x34, 0x38.
struct HostSseIo {
    uint64_t x1[2], x2[2];
    uint64_t rax, rflags;
    uint32_t mxcsr_in, mxcsr_out, saved;
};

class HostSsePage {
  public:
    HostSsePage() {
        void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        page_ = p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
    }
    ~HostSsePage() {
        if (page_) munmap(page_, 4096);
    }
    HostSsePage(const HostSsePage&) = delete;
    HostSsePage& operator=(const HostSsePage&) = delete;
    bool ok() const { return page_ != nullptr; }

    // Writes prologue + insn + epilogue; returns the address of the epilogue (where a signal
    // handler resumes after the instruction faulted).
    uint64_t prepare(const std::vector<uint8_t>& insn) {
        // stmxcsr [rdi+0x38]; ldmxcsr [rdi+0x30]; movdqu xmm1,[rdi]; movdqu xmm2,[rdi+0x10];
        // mov rax,[rdi+0x20]
        static const uint8_t kPre[] = {0x0f, 0xae, 0x5f, 0x38, 0x0f, 0xae, 0x57,
                                       0x30, 0xf3, 0x0f, 0x6f, 0x0f, 0xf3, 0x0f,
                                       0x6f, 0x57, 0x10, 0x48, 0x8b, 0x47, 0x20};
        // movdqu [rdi],xmm1; mov [rdi+0x20],rax; pushfq; pop [rdi+0x28]; stmxcsr [rdi+0x34];
        // ldmxcsr [rdi+0x38]; ret
        static const uint8_t kPost[] = {0xf3, 0x0f, 0x7f, 0x0f, 0x48, 0x89, 0x47,
                                        0x20, 0x9c, 0x8f, 0x47, 0x28, 0x0f, 0xae,
                                        0x5f, 0x34, 0x0f, 0xae, 0x57, 0x38, 0xc3};
        size_t n = 0;
        std::memcpy(page_ + n, kPre, sizeof kPre), n += sizeof kPre;
        std::memcpy(page_ + n, insn.data(), insn.size()), n += insn.size();
        std::memcpy(page_ + n, kPost, sizeof kPost);
        return reinterpret_cast<uint64_t>(page_ + n);
    }
    void run(HostSseIo& io) { reinterpret_cast<void (*)(HostSseIo*)>(page_)(&io); }
    uint8_t* data() { return page_; }

  private:
    uint8_t* page_ = nullptr;
};

} // namespace hvlab::cpu::test
