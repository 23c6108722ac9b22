// Compiles against the umbrella header and the public dependency only.
#include <memegen/memegen.hpp>

int main() {
    const memegen::ResourceMonitor monitor;
    return monitor.snapshot().rss_bytes > 0 ? 0 : 1;
}
