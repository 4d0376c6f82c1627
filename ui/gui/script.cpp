#include "ui/gui/script.hpp"

#include "common/error.hpp"
#include "cpu/vmx/exit_reason.hpp"

#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace hvlab::gui {

std::vector<ScriptCommand> parse_script(const std::string& text) {
    std::vector<ScriptCommand> out;
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (const size_t hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        ScriptCommand c;
        c.line = n;
        if (!(words >> c.verb)) continue;
        for (std::string w; words >> w;)
            c.args.push_back(w);
        out.push_back(std::move(c));
    }
    return out;
}

std::vector<ScriptCommand> load_script(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UserError("cannot read script '" + path + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_script(ss.str());
}

bool parse_number(const std::string& text, uint64_t& out) {
    if (text.empty()) return false;
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    const std::string digits = hex ? text.substr(2) : text;
    if (digits.empty() || digits.size() > 16) return false;
    uint64_t v = 0;
    for (char ch : digits) {
        const int c = std::tolower(static_cast<unsigned char>(ch));
        int d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (hex && c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return false;
        const uint64_t base = hex ? 16 : 10;
        if (v > (UINT64_MAX - static_cast<uint64_t>(d)) / base) return false;
        v = v * base + static_cast<uint64_t>(d);
    }
    out = v;
    return true;
}

namespace {
std::string squash(std::string_view s) {
    std::string o;
    for (char c : s)
        if (std::isalnum(static_cast<unsigned char>(c)))
            o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return o;
}
} // namespace

bool parse_exit_reason(const std::string& text, uint32_t& out) {
    uint64_t n;
    if (parse_number(text, n)) {
        if (n > 0xFFFF) return false;
        out = static_cast<uint32_t>(n);
        return true;
    }
    const std::string want = squash(text);
    if (want.empty()) return false;
    for (uint32_t r = 0; r < 128; ++r) {
        const std::string_view name = cpu::vmx::exit_reason_name(r);
        if (!name.empty() && squash(name) == want) {
            out = r;
            return true;
        }
    }
    return false;
}

} // namespace hvlab::gui
