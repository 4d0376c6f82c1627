#include "ui/gui/console_log.hpp"

#include <algorithm>

namespace hvlab::gui {

void ConsoleLog::add(uint64_t time, int source, std::string_view text) {
    lines_.push_back({time, source, std::string(text)});
    if (std::find(sources_.begin(), sources_.end(), source) == sources_.end())
        sources_.push_back(source);
}

std::vector<size_t> ConsoleLog::lines_of(int source) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < lines_.size(); ++i)
        if (lines_[i].source == source) out.push_back(i);
    return out;
}

} // namespace hvlab::gui
