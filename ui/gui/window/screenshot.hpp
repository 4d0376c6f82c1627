// PNG screenshots of the rendered frame (or a rectangle of it) for scripts and the docs:
// glReadPixels of the back buffer, written with stb_image_write.
#pragma once
#include <string>

namespace hvlab::gui {

// Reads the framebuffer region (x, y, w, h in framebuffer pixels, y from the top) and writes
// it to path. Throws UserError if the file cannot be written.
void save_screenshot(const std::string& path, int fb_width, int fb_height, int x, int y, int w,
                     int h);

} // namespace hvlab::gui
