// `hvlab trace diff A B`: the first divergence of two traces, with context.
#pragma once
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace hvlab::machine {

struct TraceDivergence {
    size_t line = 0;                  // 1-based line number of the first differing line
    std::vector<std::string> context; // up to `context_lines` equal lines before it
    std::optional<std::string> left, right; // nullopt: that trace ended here
};

// Returns nullopt when the traces are identical.
std::optional<TraceDivergence> first_divergence(std::istream& a, std::istream& b,
                                                size_t context_lines = 3);

} // namespace hvlab::machine
