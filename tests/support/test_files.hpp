#pragma once
// Test support: whole files in and out, and fixtures made with the ffmpeg CLI.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace memegen::test {

/// Runs `ffmpeg -y ARGS` quietly; throws (naming the command) if it fails.
inline void ffmpeg(const std::string& args) {
    const std::string command = "ffmpeg -nostdin -hide_banner -loglevel error -y " + args;
    if (std::system(command.c_str()) != 0)
        throw std::runtime_error("fixture failed: " + command);
}

/// The bytes of `path` (empty if it cannot be read).
inline std::string read_all(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Replaces `path` with `bytes`.
inline void write_all(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace memegen::test
