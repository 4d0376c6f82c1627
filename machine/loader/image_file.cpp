#include "machine/loader/image_file.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sys/stat.h>

namespace hvlab::machine {

namespace {
[[noreturn]] void fail(const std::string& path, const std::string& what, const std::string& why) {
    throw UserError("cannot open " + what + " '" + path + "': " + why);
}
} // namespace

std::vector<uint8_t> read_image_file(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) fail(path, what, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) fail(path, what, "not a regular file");
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) fail(path, what, std::strerror(errno));
    std::vector<uint8_t> data(static_cast<size_t>(st.st_size));
    if (!data.empty() && std::fread(data.data(), 1, data.size(), f.get()) != data.size())
        fail(path, what, "read error");
    return data;
}

} // namespace hvlab::machine
