#include "batch/batch_progress.hpp"

#include <memegen/log.hpp>
#include <nlohmann/json.hpp>

#include "state/state_file.hpp"
#include "telegram/html.hpp"

namespace memegen::bot {

namespace {

JsonStateFile batch_record(const std::filesystem::path& file) {
    return JsonStateFile(file, "a batch record");
}

}  // namespace

BatchProgress::BatchProgress(Replies& replies, const Messages& text,
                             std::filesystem::path record_file, ChatId chat, std::string label,
                             int total, bool shown)
    : replies_(replies),
      text_(text),
      record_file_(std::move(record_file)),
      chat_(std::move(chat)),
      label_(std::move(label)),
      total_(total),
      shown_(shown) {}

std::string BatchProgress::counts_text() const {
    return text_.batch_progress(done + failed, total_, failed);
}

void BatchProgress::write_record() const {
    try {
        nlohmann::json record = {{"label", label_},
                                 {"chat", chat_.to_string()},
                                 {"total", total_},
                                 {"made", done},
                                 {"failed", failed}};
        if (message_id_)
            record["message_id"] = *message_id_;
        batch_record(record_file_).save(record);
    } catch (const std::exception& e) {
        log_warning("cannot record the running batch: {}", e.what());
    }
}

void BatchProgress::show(bool force) {
    if (!shown_)
        return;
    // The record first: a kill right after this leaves what the restart reports.
    write_record();
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_edit_ < std::chrono::seconds(3))
        return;
    last_edit_ = now;
    if (!message_id_) {
        message_id_ = replies_.say(chat_, counts_text());
        if (message_id_)
            write_record();
    } else {
        replies_.edit_text(chat_, *message_id_, counts_text());
    }
}

void BatchProgress::end(const std::string& text, bool keep_record) {
    if (!shown_)
        return;
    if (keep_record) {
        write_record();  // up to date; the next start reports it
    } else {
        std::error_code ec;
        std::filesystem::remove(record_file_, ec);
    }
    if (message_id_) {
        replies_.edit_while_stopping(chat_, *message_id_, text);
    } else {
        replies_.say_while_stopping(chat_, text);
    }
}

namespace {

/// What batch.json tells the next start.
struct Interrupted {
    std::string label;
    int made = 0;
    int total = 0;
};

std::optional<Interrupted> parse_record(const nlohmann::json& j) {
    const auto is_int = [&](const char* key) {
        return j.contains(key) && j[key].is_number_integer();
    };
    if (!j.is_object() || !j.contains("label") || !j["label"].is_string() || !j.contains("chat") ||
        !j["chat"].is_string() || !is_int("total") || !is_int("made") || !is_int("failed") ||
        (j.contains("message_id") && !j["message_id"].is_number_integer()))
        return std::nullopt;
    return Interrupted{j["label"].get<std::string>(), j["made"].get<int>(), j["total"].get<int>()};
}

}  // namespace

void report_interrupted_batch(const std::filesystem::path& record_file, Replies& replies,
                              const Messages& text, const ChatId& owner, CrashStateStore& state) {
    const auto loaded = batch_record(record_file).load(parse_record);
    if (loaded.value) {
        const auto& [label, made, total] = *loaded.value;
        log_warning("the batch '{}' was interrupted ({} of {} made)", label, made, total);
        replies.say(owner, text.batch_interrupted(escape_html(label), made, total));
        std::error_code ec;
        std::filesystem::remove(record_file, ec);
    }
    if (loaded.problem) {
        log_warning("{}", *loaded.problem);
        state.note_problem(stage::state_corrupt, *loaded.problem, {{"file", "batch.json"}});
    }
}

}  // namespace memegen::bot
