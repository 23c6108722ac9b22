#include "png_reader.hpp"

#include <png.h>

#include <array>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "memegen/error.hpp"

namespace memegen::detail {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kLastAdam7Pass = 6;  // 0-based: every pixel of the odd rows

std::uint32_t be32(const unsigned char* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

struct FileCloser {
    void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Everything the libpng callbacks touch. It lives outside the setjmp frame and holds only
// plain data while libpng runs, so a longjmp out of a callback skips no destructor.
struct DecodeState {
    AVFrame* frame = nullptr;
    int width = 0;
    int height = 0;
    int channels = 0;
    int factor = 1;
    bool interlaced = false;
    bool full_size = false;         // factor 1: rows go straight into the frame
    std::uint32_t* sums = nullptr;  // per reduced column and channel, for the current box row
    int box = 0;                    // reduced row being accumulated
    int rows_in_box = 0;
    bool ended = false;
    std::array<char, 200> message{};
};

void on_error(png_structp png, png_const_charp text) {
    auto* s = static_cast<DecodeState*>(png_get_error_ptr(png));
    std::snprintf(s->message.data(), s->message.size(), "%s", text);
    png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {
    // An ancillary chunk's CRC or an unknown sRGB profile: the picture is still right.
}

// Writes the reduced row `s->box` from the sums (or repeats the row above when the box held
// no source row: the last box of an interlaced picture may cover only an even row).
void flush_box(DecodeState* s) {
    std::uint8_t* out =
        s->frame->data[0] + static_cast<std::ptrdiff_t>(s->box) * s->frame->linesize[0];
    const int out_w = s->frame->width;
    if (s->rows_in_box == 0) {
        if (s->box > 0)
            std::memcpy(out, out - s->frame->linesize[0],
                        static_cast<std::size_t>(out_w) * static_cast<std::size_t>(s->channels));
    } else {
        for (int x = 0; x < out_w; ++x) {
            const int columns = std::min(s->factor, s->width - x * s->factor);
            const std::uint32_t n = static_cast<std::uint32_t>(columns * s->rows_in_box);
            for (int c = 0; c < s->channels; ++c) {
                std::uint32_t& sum = s->sums[x * s->channels + c];
                out[x * s->channels + c] = static_cast<std::uint8_t>((sum + n / 2) / n);
                sum = 0;
            }
        }
    }
    s->rows_in_box = 0;
    ++s->box;
}

void add_row(DecodeState* s, const png_byte* row, int y) {
    const int box = y / s->factor;
    while (s->box < box)
        flush_box(s);
    const int ch = s->channels;
    const int k = s->factor;
    for (int x0 = 0, bx = 0; x0 < s->width; x0 += k, ++bx) {
        std::uint32_t* sum = s->sums + bx * ch;
        const int x1 = std::min(s->width, x0 + k);
        for (int x = x0; x < x1; ++x) {
            const png_byte* p = row + x * ch;
            for (int c = 0; c < ch; ++c)
                sum[c] += p[c];
        }
    }
    ++s->rows_in_box;
}

void on_info(png_structp png, png_infop info) {
    auto* s = static_cast<DecodeState*>(png_get_progressive_ptr(png));
    png_set_strip_16(png);
    png_set_expand(png);  // palette to RGB, grey below 8 bits to 8, tRNS to alpha
    png_set_gray_to_rgb(png);
    if (s->full_size && s->interlaced)
        png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != s->channels ||
        png_get_image_width(png, info) != static_cast<png_uint_32>(s->width) ||
        png_get_image_height(png, info) != static_cast<png_uint_32>(s->height)) {
        png_error(png, "the header changed between reads");
    }
}

void on_row(png_structp png, png_bytep row, png_uint_32 row_number, int pass) {
    auto* s = static_cast<DecodeState*>(png_get_progressive_ptr(png));
    if (row == nullptr || row_number >= static_cast<png_uint_32>(s->height))
        return;
    if (s->full_size) {
        // With interlace handling on, row_number is the picture's row in every pass.
        png_bytep out =
            s->frame->data[0] + static_cast<std::ptrdiff_t>(row_number) * s->frame->linesize[0];
        png_progressive_combine_row(png, out, row);
        return;
    }
    if (!s->interlaced) {
        add_row(s, row, static_cast<int>(row_number));
    } else if (pass == kLastAdam7Pass) {
        // Without interlace handling, row_number counts the rows of this pass: 1, 3, 5, ...
        add_row(s, row, 1 + 2 * static_cast<int>(row_number));
    }
}

void on_end(png_structp png, png_infop) {
    static_cast<DecodeState*>(png_get_progressive_ptr(png))->ended = true;
}

// The only frame with a setjmp: no object with a destructor lives here.
bool run_libpng(png_structp png, png_infop info, std::FILE* file, unsigned char* buffer,
                DecodeState* state) {
    if (setjmp(png_jmpbuf(png)))
        return false;
    png_set_progressive_read_fn(png, state, on_info, on_row, on_end);
    while (!state->ended) {
        const std::size_t got = std::fread(buffer, 1, kReadChunk, file);
        if (got == 0)
            break;
        png_process_data(png, info, buffer, got);
    }
    return true;
}

class PngReadStruct {
  public:
    explicit PngReadStruct(DecodeState* state)
        : png_(png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning)) {
        if (png_ != nullptr)
            info_ = png_create_info_struct(png_);
        if (png_ == nullptr || info_ == nullptr) {
            png_destroy_read_struct(&png_, &info_, nullptr);
            throw std::bad_alloc();
        }
    }
    ~PngReadStruct() { png_destroy_read_struct(&png_, &info_, nullptr); }
    PngReadStruct(const PngReadStruct&) = delete;
    PngReadStruct& operator=(const PngReadStruct&) = delete;
    [[nodiscard]] png_structp png() const noexcept { return png_; }
    [[nodiscard]] png_infop info() const noexcept { return info_; }

  private:
    png_structp png_ = nullptr;
    png_infop info_ = nullptr;
};

}  // namespace

std::optional<PngHeader> read_still_png_header(const std::filesystem::path& path) {
    const FilePtr file(std::fopen(path.c_str(), "rb"));
    if (!file)
        return std::nullopt;
    std::array<unsigned char, 33> head{};  // signature + IHDR chunk
    if (std::fread(head.data(), 1, head.size(), file.get()) != head.size() ||
        std::memcmp(head.data(), "\x89PNG\r\n\x1a\n", 8) != 0 ||
        std::memcmp(head.data() + 12, "IHDR", 4) != 0) {
        return std::nullopt;
    }
    PngHeader header;
    const std::uint32_t w = be32(head.data() + 16);
    const std::uint32_t h = be32(head.data() + 20);
    if (w == 0 || h == 0 || w > PNG_UINT_31_MAX || h > PNG_UINT_31_MAX)
        return std::nullopt;
    header.width = static_cast<int>(w);
    header.height = static_cast<int>(h);
    const int colour = head[25];
    header.alpha = (colour & PNG_COLOR_MASK_ALPHA) != 0;
    header.interlaced = head[28] != 0;
    // The chunks before the image data say whether it is animated (acTL) or has a
    // transparent colour (tRNS); they are skipped by seeking, never read whole.
    for (;;) {
        std::array<unsigned char, 8> chunk{};
        if (std::fread(chunk.data(), 1, chunk.size(), file.get()) != chunk.size())
            break;
        const std::uint32_t length = be32(chunk.data());
        const char* type = reinterpret_cast<const char*>(chunk.data() + 4);
        if (std::memcmp(type, "IDAT", 4) == 0)
            break;
        if (std::memcmp(type, "acTL", 4) == 0)
            return std::nullopt;
        if (std::memcmp(type, "tRNS", 4) == 0)
            header.alpha = true;
        if (length > PNG_UINT_31_MAX ||
            std::fseek(file.get(), static_cast<long>(length) + 4, SEEK_CUR) != 0) {
            break;
        }
    }
    return header;
}

FramePtr decode_png_reduced(const std::filesystem::path& path, const PngHeader& header,
                            int factor) {
    const auto fail = [&](const std::string& reason) -> MediaError {
        return MediaError("'" + path.string() + "': " + reason);
    };
    const FilePtr file(std::fopen(path.c_str(), "rb"));
    if (!file)
        throw fail("cannot open it (" + std::string(std::strerror(errno)) + ")");

    DecodeState state;
    state.width = header.width;
    state.height = header.height;
    state.channels = header.alpha ? 4 : 3;
    state.interlaced = header.interlaced;
    // A one-row interlaced picture has no last pass: it is tiny, decode it whole.
    state.factor = header.interlaced && header.height < 2 ? 1 : std::max(1, factor);
    state.full_size = state.factor == 1;
    const int out_w = (header.width + state.factor - 1) / state.factor;
    const int out_h = (header.height + state.factor - 1) / state.factor;
    FramePtr frame =
        make_video_frame(out_w, out_h, header.alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24);
    state.frame = frame.get();
    std::vector<std::uint32_t> sums;
    if (!state.full_size)
        sums.assign(static_cast<std::size_t>(out_w) * static_cast<std::size_t>(state.channels), 0);
    state.sums = sums.data();
    std::vector<unsigned char> buffer(kReadChunk);

    const PngReadStruct png(&state);
    png_set_user_limits(png.png(), PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    if (!run_libpng(png.png(), png.info(), file.get(), buffer.data(), &state))
        throw fail("corrupt PNG (libpng: " + std::string(state.message.data()) + ")");
    if (!state.ended)
        throw fail("truncated PNG (its image data ends before the last row)");
    if (!state.full_size) {
        while (state.box < out_h)
            flush_box(&state);
    }
    return frame;
}

}  // namespace memegen::detail
