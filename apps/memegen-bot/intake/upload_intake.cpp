#include "intake/upload_intake.hpp"

#include <fmt/format.h>

#include <memegen/log.hpp>

#include "config/timezone.hpp"
#include "core/candidate_store.hpp"
#include "telegram/html.hpp"
#include "telegram/telegram_error.hpp"

namespace memegen::bot {

namespace {

// A flood of files waits in Telegram, not in our memory.
constexpr std::size_t kMaxQueued = 100;

}  // namespace

UploadIntake::UploadIntake(const BotConfig& config, const Messages& text, const BotApi& api,
                           TelegramReplies& replies, LibraryCatalog& library)
    : config_(config), text_(text), api_(api), replies_(replies), library_(library) {}

std::uint64_t UploadIntake::limit_bytes() const {
    return static_cast<std::uint64_t>(config_.library.max_upload_mb) * 1000 * 1000;
}

void UploadIntake::queue(const UploadUpdate& upload) {
    if (!config_.library.uploads) {
        replies_.say(upload.chat, text_.uploads_disabled());
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= kMaxQueued) {
            replies_.say(upload.chat, text_.upload_refused(text_.intake_full()));
            return;
        }
        queue_.push_back(upload);
    }
    cv_.notify_all();
}

void UploadIntake::loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
        UploadUpdate upload;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, stop, [this] { return !queue_.empty(); });
            if (queue_.empty())
                return;
            upload = std::move(queue_.front());
            queue_.pop_front();
        }
        try {
            take(upload, stop);
        } catch (const std::exception& e) {
            log_error("a file sent to the bot could not be handled: {}", redact(e.what()));
            replies_.say(upload.chat, text_.upload_refused(escape_html(redact(e.what()))));
        }
    }
}

void UploadIntake::too_large(const UploadUpdate& upload, std::uint64_t bytes) {
    log_info("refused a file {} from {}: above library.max_upload_mb",
             bytes > 0 ? fmt::format("of {} bytes", bytes) : std::string("(download cut)"),
             upload.who);
    replies_.say(upload.chat, text_.upload_too_large(bytes / 1e6, config_.library.max_upload_mb));
}

void UploadIntake::take(const UploadUpdate& upload, std::stop_token stop) {
    const auto sent = sent_file_of(upload.message);
    if (!sent) {
        replies_.say(upload.chat, text_.upload_unsupported());
        return;
    }
    // The size Telegram states is checked before anything is downloaded.
    const auto stated = sent->file.value("file_size", std::int64_t{0});
    if (stated > 0 && static_cast<std::uint64_t>(stated) > limit_bytes()) {
        too_large(upload, static_cast<std::uint64_t>(stated));
        return;
    }
    const auto downloaded = download(*sent, upload, stop);
    if (!downloaded)
        return;
    const auto admitted = library_.admit(*downloaded, sent->role, sent->name, stop,
                                         sent_file_sidecar(upload.message, upload.who));
    if (admitted.look_alike) {
        replies_.say(upload.chat, text_.upload_refused(near_duplicate_html(*admitted.look_alike)));
        return;
    }
    if (!admitted.ok) {
        replies_.say(upload.chat, text_.upload_refused(escape_html(admitted.reason)));
        return;
    }
    const auto& i = *admitted.info;
    replies_.say(upload.chat,
                 text_.upload_added(sent->role == MediaRole::music,
                                    escape_html(admitted.file.filename().string()),
                                    text_.upload_facts(to_string(i.kind), i.width, i.height,
                                                       i.duration_seconds, i.size_bytes)));
}

std::string UploadIntake::near_duplicate_html(const LookAlike& look_alike) const {
    std::string date, clock;
    if (look_alike.meme.when) {
        date = local_date_of(*look_alike.meme.when).to_string();
        clock = local_clock_text(*look_alike.meme.when).substr(0, 5);  // HH:MM
    }
    return text_.near_duplicate(look_alike.meme.kind, escape_html(look_alike.meme.name), date,
                                clock, look_alike.distance, config_.library.duplicate_distance);
}

std::optional<std::filesystem::path> UploadIntake::download(const SentFile& sent,
                                                            const UploadUpdate& upload,
                                                            std::stop_token stop) {
    const auto& library = library_.library(sent.role);
    const auto target = library.root() / (".incoming-" + CandidateStore::new_id());
    const auto refuse = [&](const std::string& reason_html) {
        std::error_code ec;
        std::filesystem::remove(target, ec);
        replies_.say(upload.chat, text_.upload_refused(reason_html));
        return std::nullopt;
    };
    try {
        const auto info = api_.get_file(sent.file["file_id"].get<std::string>(), stop);
        if (info.file_size && static_cast<std::uint64_t>(*info.file_size) > limit_bytes()) {
            too_large(upload, static_cast<std::uint64_t>(*info.file_size));
            return std::nullopt;
        }
        if (info.file_path.empty())
            return refuse(text_.no_download_path());
        // The limit holds while downloading too: a stated size may be missing or wrong.
        api_.download_file(info.file_path, target, limit_bytes(), stop);
        return target;
    } catch (const TelegramError& e) {
        if (e.kind() == TelegramError::Kind::limit_exceeded) {
            std::error_code ec;
            std::filesystem::remove(target, ec);
            too_large(upload, 0);  // stopped mid-download: the real size is unknown
            return std::nullopt;
        }
        replies_.note_error(e, "downloading a sent file");
        return refuse(escape_html(redact(e.what())));
    } catch (const std::exception& e) {
        log_error("cannot download a sent file into {}: {}", library.root().string(),
                  redact(e.what()));
        return refuse(escape_html(redact(e.what())));
    }
}

}  // namespace memegen::bot
