// text_detect: the cost of memegen::detect_text() on 1000x1000 stills (one with a meme's
// lettering, one without) and on a GIF, side by side in one run with what it cannot cost less
// than (probe_media(): opening and decoding the same picture) and with what it avoids
// (Tesseract's full recognition, the `tesseract` CLI, of the same still). Medians of N rounds,
// alternating, and their ratios. Target (issue 10): detect_text <= 300 ms for the 1000x1000
// still on a 2-core machine. The perceptual hash the probe computes beside it (issue 13) is
// timed on the same files.
//
// usage: text_detect [--rounds N]

#include <memegen/media_probe.hpp>
#include <memegen/perceptual_hash.hpp>
#include <memegen/text_detect.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void ffmpeg(const std::string& args) {
    if (std::system(("ffmpeg -nostdin -hide_banner -loglevel error -y " + args).c_str()) != 0)
        throw std::runtime_error("fixture failed: ffmpeg " + args);
}

double ms(const std::function<void()>& f) {
    const auto start = Clock::now();
    f();
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 7;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--rounds" && i + 1 < argc) {
            rounds = std::max(1, std::atoi(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: text_detect [--rounds N]\n");
            return 2;
        }
    }
    const fs::path dir = fs::temp_directory_path() / "memegen-bench-text";
    fs::create_directories(dir);
    const char* font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
    const auto text = dir / "text.png";
    const auto plain = dir / "plain.png";
    const auto gif = dir / "text.gif";
    // Classic meme lettering: white fill, black outline, over a busy picture.
    const std::string letters =
        std::string("drawtext=fontfile=") + font +
        ":text='WHEN THE BUILD PASSES':x=(w-tw)/2:y=30:fontsize=64:fontcolor=white:borderw=4:"
        "bordercolor=black,drawtext=fontfile=" +
        font +
        ":text='ON THE FIRST TRY':x=(w-tw)/2:y=h-100:fontsize=64:fontcolor=white:borderw=4:"
        "bordercolor=black";
    ffmpeg("-f lavfi -i mandelbrot=s=1000x1000 -vf \"" + letters + "\" -frames:v 1 " +
           text.string());
    ffmpeg("-f lavfi -i mandelbrot=s=1000x1000 -frames:v 1 " + plain.string());
    ffmpeg("-f lavfi -i mandelbrot=s=480x480:r=10 -t 3 -vf \"" + letters + "\" " + gif.string());

    std::vector<double> detect_text_ms, detect_plain_ms, detect_gif_ms, decode_ms, ocr_ms, hash_ms,
        hash_gif_ms;
    std::size_t boxes = 0;
    for (int r = 0; r < rounds; ++r) {
        detect_text_ms.push_back(ms([&] { boxes = memegen::detect_text(text).boxes.size(); }));
        detect_plain_ms.push_back(ms([&] { (void)memegen::detect_text(plain); }));
        detect_gif_ms.push_back(ms([&] { (void)memegen::detect_text(gif); }));
        decode_ms.push_back(ms([&] { (void)memegen::probe_media(text); }));
        hash_ms.push_back(ms([&] { (void)memegen::perceptual_hash(text); }));
        hash_gif_ms.push_back(ms([&] { (void)memegen::perceptual_hash(gif); }));
        ocr_ms.push_back(ms([&] {
            const std::string command = "tesseract " + text.string() + " - >/dev/null 2>&1";
            if (std::system(command.c_str()) != 0)
                throw std::runtime_error("the tesseract CLI failed");
        }));
    }
    const double t = median(detect_text_ms);
    std::printf("text_detect: medians of %d rounds (1000x1000 still unless said)\n", rounds);
    std::printf("  %-42s %8.1f ms  (%zu text lines found)\n", "detect_text, meme lettering", t,
                boxes);
    std::printf("  %-42s %8.1f ms\n", "detect_text, no text", median(detect_plain_ms));
    std::printf("  %-42s %8.1f ms\n", "detect_text, 480x480 GIF, 3 frames", median(detect_gif_ms));
    std::printf("  %-42s %8.1f ms\n", "probe_media (open + decode)", median(decode_ms));
    std::printf("  %-42s %8.1f ms\n", "perceptual_hash", median(hash_ms));
    std::printf("  %-42s %8.1f ms\n", "perceptual_hash, 480x480 GIF, 3 frames",
                median(hash_gif_ms));
    std::printf("  %-42s %8.1f ms\n", "tesseract CLI, full recognition (eng)", median(ocr_ms));
    std::printf(
        "ratios: detect_text / decode %.2f, detect_text / full OCR %.2f, "
        "perceptual_hash / decode %.2f\n",
        t / median(decode_ms), t / median(ocr_ms), median(hash_ms) / median(decode_ms));
    std::printf("target: detect_text <= 300 ms: %s\n", t <= 300 ? "met" : "NOT met");
    fs::remove_all(dir);
    return 0;
}
