#pragma once
/// \file fake_bot_api.hpp
/// A fake Telegram Bot API server on 127.0.0.1 for tests: real JSON shapes and error forms,
/// getUpdates long polling with Telegram's offset semantics, message sends and edits with
/// Telegram-HTML validation, multipart sendVideo saved to disk, file downloads, scripted
/// faults, and a thread-safe record of every call.
///
/// Chats are numeric ids (positive: private chat with that user; negative: a group);
/// "@username" chat ids are answered with 400 "chat not found". Message ids are global and
/// increasing. Parameters may come as a JSON body, urlencoded form, query string or
/// multipart form; form values are recorded as strings.
///
/// Typical use:
///   FakeBotApi api;                                  // listening on a random port
///   BotApi client({.token = api.token(), .base_url = api.base_url()});
///   api.push_message(/*from*/ 42, /*chat*/ 42, "/start");
///   ... run the bot ...
///   REQUIRE(api.wait_for_calls("sendMessage", 1, 5s));
///   CHECK(api.sent_messages(42).back()["text"] == "Hello");

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace memegen::test {

/// A scripted failure of the next calls of one method.
struct Fault {
    /// What the server does instead of answering normally.
    enum class Kind {
        rate_limit,      ///< 429 "Too Many Requests: retry after S" with parameters.retry_after
        internal_error,  ///< 500 "Internal Server Error" (JSON, like Telegram)
        bad_gateway,     ///< 502 "Bad Gateway" (JSON)
        /// The socket is shut down without any answer. cpp-httplib 0.11 cannot close a
        /// connection from a handler, so the fake finds the accepted socket by its address
        /// pair (/proc/self/fd + getsockname/getpeername) and calls shutdown(2) on it; the
        /// request is recorded (status 0) but not acted on.
        drop_connection,
        slow_reply,  ///< the call is processed, then the answer waits `delay`
        api_error,   ///< any Bot API error: `error_code`, `description`, `parameters`
    };
    Kind kind = Kind::internal_error;
    int retry_after_s = 1;
    std::chrono::milliseconds delay{0};
    int error_code = 0;
    std::string description;
    nlohmann::json parameters = nullptr;

    /// 429 with retry_after = `seconds`.
    static Fault rate_limit(int seconds) { return make(Kind::rate_limit, seconds, {}); }
    /// 500 Internal Server Error.
    static Fault internal_error() { return make(Kind::internal_error, 0, {}); }
    /// 502 Bad Gateway.
    static Fault bad_gateway() { return make(Kind::bad_gateway, 0, {}); }
    /// Connection closed without a response.
    static Fault drop_connection() { return make(Kind::drop_connection, 0, {}); }
    /// Processed normally but answered after `delay` (a lost answer if the client times out).
    static Fault slow_reply(std::chrono::milliseconds delay) {
        return make(Kind::slow_reply, 0, delay);
    }
    /// An arbitrary error answer, e.g. api_error(403, "Forbidden: bot was blocked by the user")
    /// or api_error(400, "Bad Request: group chat was upgraded to a supergroup chat",
    /// {{"migrate_to_chat_id", -1001234}}); HTTP status = error_code.
    /// A fault of `kind` with its knobs.
    static Fault make(Kind kind, int retry_after_s, std::chrono::milliseconds delay) {
        Fault f;
        f.kind = kind;
        f.retry_after_s = retry_after_s;
        f.delay = delay;
        return f;
    }
    static Fault api_error(int error_code, std::string description,
                           nlohmann::json parameters = nullptr) {
        Fault f;
        f.kind = Kind::api_error;
        f.error_code = error_code;
        f.description = std::move(description);
        f.parameters = std::move(parameters);
        return f;
    }
};

/// A file part received in a multipart request.
struct ReceivedFile {
    std::string field;                 ///< form field name ("video", "thumbnail")
    std::string filename;              ///< filename= as received (after the client's escaping)
    std::string content_type;          ///< the part's Content-Type
    std::size_t size = 0;              ///< bytes received
    std::filesystem::path saved_path;  ///< where the server stored the bytes
};

/// One request the server received.
struct RecordedCall {
    std::string method;               ///< Bot API method, as sent ("sendMessage")
    nlohmann::json params;            ///< all non-file parameters; form values are strings
    std::vector<ReceivedFile> files;  ///< file parts (multipart only)
    std::string content_type;         ///< request Content-Type
    std::optional<std::size_t> content_length;  ///< request Content-Length, if sent
    bool chunked = false;                       ///< Transfer-Encoding: chunked was used
    int status = 0;  ///< HTTP status answered (0 while running or if dropped)
    std::chrono::steady_clock::time_point time;  ///< arrival time
};

/// The fake server; starts listening in the constructor, stops in stop() or the destructor.
class FakeBotApi {
  public:
    /// Construction options.
    struct Options {
        /// The only token accepted; others get 401 Unauthorized.
        std::string token = "123456789:AAFakeTokenForTests_abcdefghijklmnop";
        /// Where uploads are saved; a fresh temporary directory when empty (removed on
        /// destruction).
        std::filesystem::path upload_dir;
        /// Worker threads (concurrent requests, long polls included).
        std::size_t threads = 16;
        /// false: getUpdates answers at once whatever its timeout, like a server or proxy that
        /// does not hold long polls.
        bool hold_polls = true;
        /// true: an offset above every id issued so far is served from the queue's head, as a
        /// Bot API server whose ids restarted (a reset or new local server) answers a client
        /// that remembers the old, higher ids; false: it confirms everything, as Telegram does.
        bool future_offset_from_head = false;
    };

    /// Starts listening on 127.0.0.1 with a random free port; throws std::runtime_error.
    FakeBotApi();
    /// Same with explicit options.
    explicit FakeBotApi(Options options);
    FakeBotApi(const FakeBotApi&) = delete;
    FakeBotApi& operator=(const FakeBotApi&) = delete;
    /// Stops the server and removes a temporary upload directory.
    ~FakeBotApi();

    /// Stops listening and releases pending long polls and slow replies; idempotent.
    void stop();

    /// The port listened on.
    [[nodiscard]] int port() const noexcept { return port_; }
    /// "http://127.0.0.1:<port>", the base_url for the client.
    [[nodiscard]] std::string base_url() const;
    /// The accepted token.
    [[nodiscard]] const std::string& token() const noexcept { return options_.token; }
    /// Where uploaded files are saved.
    [[nodiscard]] const std::filesystem::path& upload_dir() const noexcept {
        return options_.upload_dir;
    }
    /// The bot's user id (getMe, from of sent messages).
    [[nodiscard]] static constexpr std::int64_t bot_user_id() noexcept { return 777000111; }

    // ---- Updates (what users do) ----

    /// Queues a text message from a user; a leading "/command" gets a bot_command entity.
    /// Returns the update_id.
    std::int64_t push_message(std::int64_t from_user_id, std::int64_t chat_id,
                              const std::string& text);
    /// Queues a callback query (inline button press) on message `message_id` the bot sent;
    /// returns the update_id. The query id is update["callback_query"]["id"].
    std::int64_t push_callback(std::int64_t from_user_id, std::int64_t message_id,
                               const std::string& data);
    /// Queues a document message whose file can be fetched with getFile + download.
    std::int64_t push_document(std::int64_t from_user_id, std::int64_t chat_id,
                               const std::string& file_name, const std::string& content,
                               const std::string& mime_type = "application/octet-stream",
                               const std::string& caption = {});
    /// Queues a photo message (one PhotoSize of `width`×`height`) with downloadable content.
    std::int64_t push_photo(std::int64_t from_user_id, std::int64_t chat_id,
                            const std::string& content, int width = 320, int height = 240,
                            const std::string& caption = {});
    /// Queues a video message with downloadable content.
    std::int64_t push_video(std::int64_t from_user_id, std::int64_t chat_id,
                            const std::string& content, int width, int height, int duration,
                            const std::string& caption = {});
    /// Queues any update object; update_id is assigned. Returns the update_id.
    std::int64_t push_update(nlohmann::json update);
    /// Updates not yet confirmed by an offset.
    [[nodiscard]] std::size_t pending_updates() const;

    /// Registers a downloadable file; returns its file_id (file_path is "files/<n>_<name>").
    std::string register_file(const std::string& content, const std::string& name = "file.bin");

    /// Makes messages and getFile state `bytes` as the file's size (as a client that lies, or
    /// a size Telegram does not know yet), while the download still serves the real content.
    void state_file_size(const std::string& file_id, std::size_t bytes);

    /// Simulates a webhook: getUpdates answers 409 until deleteWebhook is called.
    void set_webhook(const std::string& url);

    // ---- Faults ----

    /// The next `count` calls of `method` ("*" = any method) fail with `fault`.
    void fail_next(const std::string& method, int count, Fault fault);
    /// Removes every scripted fault.
    void clear_faults();

    // ---- Records ----

    /// Every call so far, in arrival order.
    [[nodiscard]] std::vector<RecordedCall> calls() const;
    /// The calls of one method.
    [[nodiscard]] std::vector<RecordedCall> calls(const std::string& method) const;
    /// How many calls of `method` arrived.
    [[nodiscard]] std::size_t call_count(const std::string& method) const;
    /// Waits until at least `count` calls of `method` arrived; false on timeout.
    bool wait_for_calls(const std::string& method, std::size_t count,
                        std::chrono::milliseconds timeout) const;
    /// Waits until `condition` (called without internal locks held, so it may use the
    /// accessors) is true, re-checking whenever a call arrives; false on timeout.
    bool wait_until(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout) const;

    /// Messages the bot sent to `chat_id` (current state, edits applied), oldest first.
    [[nodiscard]] std::vector<nlohmann::json> sent_messages(std::int64_t chat_id) const;
    /// The texts of the text messages the bot sent to `chat_id` (edits applied), oldest first:
    /// what a person in that chat reads.
    [[nodiscard]] std::vector<std::string> sent_texts(std::int64_t chat_id) const;
    /// Every message the bot sent, oldest first.
    [[nodiscard]] std::vector<nlohmann::json> all_sent_messages() const;
    /// The message with `message_id`, if the bot sent it.
    [[nodiscard]] std::optional<nlohmann::json> message(std::int64_t message_id) const;
    /// Callback query ids answered so far, with their answer parameters.
    [[nodiscard]] std::map<std::string, nlohmann::json> answered_callbacks() const;
    /// Commands from the last setMyCommands.
    [[nodiscard]] nlohmann::json commands() const;
    /// Content of a file the fake issued (uploaded or registered), by file_id.
    [[nodiscard]] std::optional<std::string> file_content(const std::string& file_id) const;

    /// Validates Telegram HTML like the Bot API; returns the plain text or an error message
    /// ("can't parse entities: ..."). Exposed so tests can check their own markup.
    static bool parse_telegram_html(std::string_view html, std::string& text, std::string& error);

  private:
    struct Impl;
    Options options_;
    bool own_upload_dir_ = false;
    int port_ = 0;
    std::unique_ptr<Impl> impl_;
};

}  // namespace memegen::test
