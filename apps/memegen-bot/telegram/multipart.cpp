#include "telegram/multipart.hpp"

#include <cerrno>
#include <random>

#include "memegen/error.hpp"

namespace memegen::bot::detail {

std::string escape_multipart_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
            case '"':
                out += "%22";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string random_boundary() {
    static constexpr std::string_view kAlphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
    std::string out = "memegen-";
    for (int i = 0; i < 32; ++i)
        out += kAlphabet[pick(rng)];
    return out;
}

MultipartBody::MultipartBody(std::string boundary) : boundary_(std::move(boundary)) {}

void MultipartBody::add_field(std::string_view name, std::string_view value) {
    std::string text = "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" +
                       escape_multipart_value(name) + "\"\r\n\r\n";
    text.append(value);
    text += "\r\n";
    const std::size_t size = text.size();
    parts_.push_back({std::move(text), {}, size});
}

void MultipartBody::add_file(std::string_view name, const std::filesystem::path& path,
                             std::string_view filename, std::string_view content_type) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        throw SystemError("cannot size upload '" + path.string() + "'", ec.value());
    std::ifstream probe(path, std::ios::binary);
    if (!probe)
        throw SystemError("cannot open upload '" + path.string() + "'", errno);
    // The Bot API treats a part as a file only when it has a filename.
    std::string header = "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" +
                         escape_multipart_value(name) + "\"; filename=\"" +
                         escape_multipart_value(filename.empty() ? "file" : filename) +
                         "\"\r\nContent-Type: " + std::string(content_type) + "\r\n\r\n";
    const std::size_t header_size = header.size();
    parts_.push_back({std::move(header), {}, header_size});
    parts_.push_back({{}, path, static_cast<std::size_t>(size)});
    parts_.push_back({"\r\n", {}, 2});
}

std::vector<MultipartBody::Segment> MultipartBody::segments() const {
    auto all = parts_;
    std::string closing = "--" + boundary_ + "--\r\n";
    const std::size_t size = closing.size();
    all.push_back({std::move(closing), {}, size});
    return all;
}

std::size_t MultipartBody::size() const {
    std::size_t total = 0;
    for (const auto& s : segments())
        total += s.size;
    return total;
}

std::string MultipartBody::content_type() const {
    return "multipart/form-data; boundary=" + boundary_;
}

std::size_t MultipartBody::Reader::read(std::size_t offset, char* out, std::size_t length) {
    const auto all = body_->segments();
    std::size_t start = 0;
    for (std::size_t index = 0; index < all.size(); ++index) {
        const Segment& seg = all[index];
        if (offset >= start + seg.size) {
            start += seg.size;
            continue;
        }
        const std::size_t within = offset - start;
        const std::size_t n = std::min(length, seg.size - within);
        if (seg.path.empty()) {
            seg.text.copy(out, n, within);
            return n;
        }
        if (open_segment_ != index) {
            file_.close();
            file_.clear();
            file_.open(seg.path, std::ios::binary);
            if (!file_)
                throw SystemError("cannot open upload '" + seg.path.string() + "'", errno);
            open_segment_ = index;
            file_position_ = 0;
        }
        if (file_position_ != within) {
            file_.seekg(static_cast<std::streamoff>(within));
            file_position_ = within;
        }
        file_.read(out, static_cast<std::streamsize>(n));
        if (static_cast<std::size_t>(file_.gcount()) != n) {
            throw SystemError("upload '" + seg.path.string() + "' shrank while being sent", EIO);
        }
        file_position_ += n;
        return n;
    }
    return 0;
}

}  // namespace memegen::bot::detail
