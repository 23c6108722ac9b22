#pragma once
/// \file batch_progress.hpp
/// A batch's progress message and its record in <state_dir>/batch.json, so that a batch cut
/// short by a shutdown or a kill is reported after the restart.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <memegen/crash_state_store.hpp>

#include "core/messages.hpp"
#include "replies/replies.hpp"

namespace memegen::bot {

/// The progress of one batch. `shown` false: no message and no record (one /generate).
class BatchProgress {
  public:
    BatchProgress(Replies& replies, const Messages& text, std::filesystem::path record_file,
                  ChatId chat, std::string label, int total, bool shown);

    int done = 0;    ///< made and sent (or made, for a scheduled batch)
    int failed = 0;  ///< failed

    /// Records the state, then sends or edits the message: at most every 3 s unless `force`.
    void show(bool force);
    /// The message's last word, sent even while the bot stops. `keep_record`: the next start
    /// reports the batch as interrupted.
    void end(const std::string& text, bool keep_record);
    /// "Generating: done+failed of total (failed: n)".
    [[nodiscard]] std::string counts_text() const;

  private:
    void write_record() const;

    Replies& replies_;
    const Messages& text_;
    std::filesystem::path record_file_;
    ChatId chat_;
    std::string label_;
    int total_ = 0;
    bool shown_ = false;
    std::optional<std::int64_t> message_id_;
    std::chrono::steady_clock::time_point last_edit_{};
};

/// At start-up: tells `owner` about a batch the last run left unfinished (from `record_file`)
/// and removes the record; a broken record is moved aside and noted in `state`.
void report_interrupted_batch(const std::filesystem::path& record_file, Replies& replies,
                              const Messages& text, const ChatId& owner, CrashStateStore& state);

}  // namespace memegen::bot
