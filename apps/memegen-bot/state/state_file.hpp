#pragma once
/// \file state_file.hpp
/// One JSON state file of the bot (offset.json, schedule.json, stats.json,
/// library_index.json, publish_journal.json, candidates.json, ...), written once for every
/// store: read → parse → check the shape → on any problem move the file aside and report →
/// atomic write (temporary file, fsync, rename, fsync of the directory).
///
/// Errors: load() never throws — an unusable file (not a file, unreadable, empty, not JSON,
/// the wrong shape) is moved aside with memegen::detail::quarantine_file(), so it can be
/// inspected and the next save does not trip over it, and the problem text is returned for
/// the store's log and problem list; the store goes on with defaults. save() throws
/// memegen::SystemError naming the path. Header-only, so that publish/ (a library of its own)
/// and the bot's stores share it.
///
///     const JsonStateFile file(dir / "offset.json", "an offset record");
///     const auto loaded = file.load([](const nlohmann::json& j) -> std::optional<Offsets> {
///         ...nullopt (or a thrown std::exception) when j has the wrong shape...
///     });
///     if (loaded.problem) ...log, record...
///     if (loaded.value) ...use...
///     file.save(to_json(offsets));

#include <sys/types.h>

#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include <memegen/detail/files.hpp>

namespace memegen::bot {

/// What JsonStateFile::load() found. Neither member set: the file does not exist.
template <typename T>
struct StateLoad {
    /// The content, when the file existed and had the right shape.
    std::optional<T> value;
    /// Set when the file was unusable and moved aside: "<name> was unreadable (<reason>);
    /// moved aside to <name>.corrupt-<local time>".
    std::optional<std::string> problem;
};

/// A JSON state file; see the file comment. Cheap to copy; holds no handle.
class JsonStateFile {
  public:
    /// `file`'s content is `content_name` ("an offset record"), for the reason of a move
    /// aside ("it is not an offset record"); it is written with `mode`.
    JsonStateFile(std::filesystem::path file, std::string content_name, mode_t mode = 0600)
        : file_(std::move(file)), content_name_(std::move(content_name)), mode_(mode) {}

    /// The file's path.
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return file_; }

    /// Reads the file and maps its JSON with `parse` (const nlohmann::json& →
    /// std::optional<T>). A std::nullopt or a std::exception from `parse` means the wrong
    /// shape; the exception's text is added to the reason. Never throws (see the file comment).
    template <typename Parse>
    [[nodiscard]] auto load(Parse&& parse) const
        -> StateLoad<typename std::invoke_result_t<Parse&, const nlohmann::json&>::value_type> {
        using T = typename std::invoke_result_t<Parse&, const nlohmann::json&>::value_type;
        StateLoad<T> out;
        auto read = memegen::detail::read_state_file(file_);
        if (read.problem) {
            out.problem = std::move(read.problem);
            return out;
        }
        if (!read.text)
            return out;
        std::string reason;
        try {
            reason = shape_problem(*read.text, [&](const nlohmann::json& j) {
                out.value = parse(j);
                return out.value.has_value();
            });
        } catch (const std::exception& e) {
            out.value.reset();
            reason = "it is not " + content_name_ + " (" + e.what() + ")";
        }
        if (!reason.empty())
            out.problem = memegen::detail::quarantine_file(file_, reason);
        return out;
    }

    /// Reads the file like load(), but leaves an unusable one where it is and gives nothing:
    /// for read-only views (memegen-status) that must not touch the bot's files. Never throws.
    template <typename Parse>
    [[nodiscard]] auto peek(Parse&& parse) const noexcept
        -> std::optional<typename std::invoke_result_t<Parse&, const nlohmann::json&>::value_type> {
        try {
            const auto text = memegen::detail::read_file(file_);
            if (!text)
                return std::nullopt;
            const auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
            if (j.is_discarded())
                return std::nullopt;
            return parse(j);
        } catch (const std::exception&) {
            return std::nullopt;  // a directory, an unreadable file, a wrong shape
        }
    }

    /// Replaces the file with `content` (dumped with `indent`, invalid UTF-8 replaced, one
    /// trailing newline) atomically, with the file's mode. Creates no directory. Throws
    /// memegen::SystemError naming the path.
    void save(const nlohmann::json& content, int indent = 2) const {
        memegen::detail::write_file_atomically(
            file_,
            content.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
            mode_);
    }

  private:
    /// "" when `text` is JSON that `accept` takes, else the reason to move the file aside.
    template <typename Accept>
    std::string shape_problem(const std::string& text, Accept&& accept) const {
        if (text.find_first_not_of(" \t\r\n") == std::string::npos)
            return "it is empty";
        const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded())
            return "it is not valid JSON";
        if (!accept(j))
            return "it is not " + content_name_;
        return {};
    }

    std::filesystem::path file_;
    std::string content_name_;
    mode_t mode_;
};

}  // namespace memegen::bot
