// Deterministic pseudo-random numbers for the differential tests: a fixed, printed seed gives
// the same instruction streams on every host (ARCHITECTURE.md, Execution model).
#pragma once
#include <cstdint>

namespace hvlab::tools {

// SplitMix64: tiny, fast, full-period, and good enough to pick operands.
class Rng {
  public:
    explicit Rng(uint64_t seed) : state_(seed) {}

    uint64_t next() {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, n); n > 0.
    uint64_t below(uint64_t n) { return next() % n; }
    bool chance(unsigned percent) { return below(100) < percent; }
    template <class T, unsigned N> const T& pick(const T (&items)[N]) { return items[below(N)]; }

  private:
    uint64_t state_;
};

// The seed of stream `index` of a run with master seed `seed`: streams are independent, so one
// failing stream can be replayed alone.
inline uint64_t stream_seed(uint64_t seed, uint64_t index) {
    Rng r(seed ^ (index * 0xD1B54A32D192ED03ull));
    return r.next();
}

} // namespace hvlab::tools
