#include "ui/gui/window/screenshot.hpp"

#include "common/error.hpp"

#include <GL/gl.h>
#include <algorithm>
#include <stb_image_write.h>
#include <vector>

namespace hvlab::gui {

void save_screenshot(const std::string& path, int fb_width, int fb_height, int x, int y, int w,
                     int h) {
    x = std::clamp(x, 0, fb_width);
    y = std::clamp(y, 0, fb_height);
    w = std::clamp(w, 1, fb_width - x);
    h = std::clamp(h, 1, fb_height - y);
    std::vector<unsigned char> pixels(static_cast<size_t>(w) * h * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    // GL's origin is the bottom-left corner.
    glReadPixels(x, fb_height - y - h, w, h, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    const size_t stride = static_cast<size_t>(w) * 3;
    for (int row = 0; row < h / 2; ++row)
        std::swap_ranges(pixels.begin() + row * stride, pixels.begin() + (row + 1) * stride,
                         pixels.begin() + (h - 1 - row) * stride);
    if (!stbi_write_png(path.c_str(), w, h, 3, pixels.data(), static_cast<int>(stride)))
        throw UserError("cannot write screenshot '" + path + "'");
}

} // namespace hvlab::gui
