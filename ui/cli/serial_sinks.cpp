#include "ui/cli/serial_sinks.hpp"

#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace hvlab::ui {
namespace {

class OwnedFileSink : public FileSink {
  public:
    explicit OwnedFileSink(std::FILE* f) : FileSink(f), f_(f) {}
    ~OwnedFileSink() override { std::fclose(f_); }

  private:
    std::FILE* f_;
};

} // namespace

std::unique_ptr<devices::ByteSink> open_serial_sink(const std::string& spec) {
    if (spec.empty() || spec == "stdio") return std::make_unique<FileSink>(stdout);
    if (spec == "none" || spec == "null") return std::make_unique<NullSink>();
    const std::string path = spec.rfind("file:", 0) == 0 ? spec.substr(5) : spec;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw UserError("cannot open serial output file '" + path + "': " + std::strerror(errno));
    return std::make_unique<OwnedFileSink>(f);
}

} // namespace hvlab::ui
