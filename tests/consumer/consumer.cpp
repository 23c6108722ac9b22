// A program outside the build tree that uses libmemegen the ways tests/consumer/run.sh
// builds it: with pkg-config against the installed shared and static library, and as a Meson
// subproject. Proves that the public headers stand alone and that each way links.

#include <memegen/memegen.hpp>

#include <cstdio>
#include <filesystem>

int main() {
    int failed = 0;
    const memegen::ResourceMonitor monitor;
    if (monitor.snapshot().rss_bytes == 0)
        ++failed;

    const auto dir = std::filesystem::temp_directory_path() / "memegen-consumer-state";
    memegen::GenerationGuard guard(dir);
    auto ticket = guard.try_acquire("consumer");
    if (!ticket || guard.try_acquire("second"))
        ++failed;

    // A compiled symbol of the renderer: the link must resolve it from libmemegen.so.
    if (memegen::FrameSize::parse("720x1280").height != 1280)
        ++failed;

    std::filesystem::remove_all(dir);
    std::printf("libmemegen consumer: %s\n", failed == 0 ? "ok" : "FAILED");
    return failed == 0 ? 0 : 1;
}
