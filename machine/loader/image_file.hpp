// Reading a whole guest file (kernel image or module) into memory, with one clear error line.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hvlab::machine {

// what names the file's role in messages ("kernel image", "module"). Throws UserError:
// "cannot open <what> '<path>': <reason>".
std::vector<uint8_t> read_image_file(const std::string& path, const std::string& what);

} // namespace hvlab::machine
