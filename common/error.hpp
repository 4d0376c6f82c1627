// Errors a user can cause (bad image, bad option, bad file). They are caught once in ui/ and
// printed as one line with a non-zero exit status: never a crash or an abort.
#pragma once
#include <stdexcept>
#include <string>

namespace hvlab {

class UserError : public std::runtime_error {
  public:
    explicit UserError(const std::string& what) : std::runtime_error(what) {}
};

} // namespace hvlab
