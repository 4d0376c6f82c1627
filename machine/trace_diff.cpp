#include "machine/trace_diff.hpp"

#include <deque>

namespace hvlab::machine {

std::optional<TraceDivergence> first_divergence(std::istream& a, std::istream& b,
                                                size_t context_lines) {
    std::deque<std::string> recent;
    std::string la, lb;
    for (size_t line = 1;; ++line) {
        const bool ha = static_cast<bool>(std::getline(a, la));
        const bool hb = static_cast<bool>(std::getline(b, lb));
        if (!ha && !hb) return std::nullopt;
        if (ha && hb && la == lb) {
            recent.push_back(la);
            if (recent.size() > context_lines) recent.pop_front();
            continue;
        }
        TraceDivergence d;
        d.line = line;
        d.context.assign(recent.begin(), recent.end());
        if (ha) d.left = la;
        if (hb) d.right = lb;
        return d;
    }
}

} // namespace hvlab::machine
