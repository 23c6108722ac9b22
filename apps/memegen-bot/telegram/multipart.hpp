#pragma once
/// \file multipart.hpp
/// A multipart/form-data body whose files are streamed from disk with an exact, precomputed
/// size, so uploads are sent with Content-Length (not chunked) without holding the file in
/// memory. cpp-httplib 0.11 can do only one of the two by itself.

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace memegen::bot::detail {

/// A header parameter value made safe inside quotes, as browsers do (WHATWG): `"` → %22,
/// CR → %0D, LF → %0A; other bytes, UTF-8 included, are kept.
[[nodiscard]] std::string escape_multipart_value(std::string_view value);

/// A random boundary of 40 alphanumerics (no byte of it needs quoting).
[[nodiscard]] std::string random_boundary();

/// The parts of a multipart/form-data body, in order.
class MultipartBody {
  public:
    /// Starts an empty body with `boundary`.
    explicit MultipartBody(std::string boundary = random_boundary());

    /// Adds a text field.
    void add_field(std::string_view name, std::string_view value);

    /// Adds a file part streamed from `path`; throws memegen::SystemError if it cannot be
    /// opened or sized.
    void add_file(std::string_view name, const std::filesystem::path& path,
                  std::string_view filename, std::string_view content_type);

    /// Exact size of the whole body, closing boundary included.
    [[nodiscard]] std::size_t size() const;

    /// The Content-Type header value ("multipart/form-data; boundary=...").
    [[nodiscard]] std::string content_type() const;

    /// Sequential reader over the body; one per attempt so retries start afresh.
    class Reader {
      public:
        /// Reads from `body`, which must outlive the reader.
        explicit Reader(const MultipartBody& body) : body_(&body) {}
        /// Copies up to `length` bytes starting at `offset` into `out`; returns the count,
        /// 0 at the end; throws memegen::SystemError if a file changed or became unreadable.
        std::size_t read(std::size_t offset, char* out, std::size_t length);

      private:
        const MultipartBody* body_;
        std::size_t open_segment_ = static_cast<std::size_t>(-1);
        std::ifstream file_;
        std::size_t file_position_ = 0;
    };

  private:
    struct Segment {
        std::string text;  // used when path is empty
        std::filesystem::path path;
        std::size_t size = 0;
    };
    [[nodiscard]] std::vector<Segment> segments() const;

    std::string boundary_;
    std::vector<Segment> parts_;
};

}  // namespace memegen::bot::detail
