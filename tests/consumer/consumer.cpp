// A program outside the build tree, compiled against the *installed* libmemegen with
// `c++ $(pkg-config --cflags --libs libmemegen)` by scripts/test.sh: proves that the
// installed headers stand alone and that libmemegen.pc names everything needed to link.

#include <memegen/memegen.hpp>

#include <cstdio>
#include <filesystem>

int main() {
    int failed = 0;
    const memegen::ResourceMonitor monitor;
    if (monitor.snapshot().rss_bytes == 0) ++failed;

    const auto dir = std::filesystem::temp_directory_path() / "memegen-consumer-state";
    memegen::GenerationGuard guard(dir);
    auto ticket = guard.try_acquire("consumer");
    if (!ticket || guard.try_acquire("second")) ++failed;

    // A compiled symbol of the renderer: the link must resolve it from libmemegen.so.
    if (memegen::FrameSize::parse("720x1280").height != 1280) ++failed;

    std::filesystem::remove_all(dir);
    std::printf("installed libmemegen consumer: %s\n", failed == 0 ? "ok" : "FAILED");
    return failed == 0 ? 0 : 1;
}
