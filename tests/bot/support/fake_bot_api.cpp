#include "fake_bot_api.hpp"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <stdexcept>

#include "net/listen_thread.hpp"

namespace memegen::test {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

/// A Bot API error answer; thrown inside handlers.
struct ApiError {
    int code;
    std::string description;
    json parameters = nullptr;
};

[[noreturn]] void bad_request(const std::string& what) {
    throw ApiError{400, "Bad Request: " + what};
}

std::string lower(std::string s) {
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
        const std::size_t left = s.size() - i;
        const auto cont = [&](std::size_t k) { return k < left && (b(k) & 0xC0) == 0x80; };
        const unsigned char b0 = b(0);
        std::size_t len = 0;
        if (b0 < 0x80) {
            len = 1;
        } else if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) {
            len = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2) && !(b0 == 0xE0 && b(1) < 0xA0) &&
                   !(b0 == 0xED && b(1) >= 0xA0)) {
            len = 3;
        } else if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3) &&
                   !(b0 == 0xF0 && b(1) < 0x90) && !(b0 == 0xF4 && b(1) >= 0x90)) {
            len = 4;
        } else {
            return false;
        }
        i += len;
    }
    return true;
}

std::size_t utf16_units(std::string_view s) {
    std::size_t units = 0;
    for (const char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if ((b & 0xC0) != 0x80)
            units += b >= 0xF0 ? 2 : 1;
    }
    return units;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

json bot_user() {
    return {{"id", FakeBotApi::bot_user_id()}, {"is_bot", true},
            {"first_name", "Fake Memegen"},    {"username", "fake_memegen_bot"},
            {"can_join_groups", true},         {"can_read_all_group_messages", false},
            {"supports_inline_queries", false}};
}

json user_json(std::int64_t id) {
    return {{"id", id},
            {"is_bot", false},
            {"first_name", "User" + std::to_string(id)},
            {"username", "user" + std::to_string(id)},
            {"language_code", "en"}};
}

json chat_json(std::int64_t id) {
    if (id > 0) {
        return {{"id", id}, {"type", "private"}, {"first_name", "User" + std::to_string(id)}};
    }
    return {{"id", id},
            {"type", id < -1000000000000 ? "supergroup" : "group"},
            {"title", "Chat " + std::to_string(id)}};
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// ---- parameters ----

const json* find_param(const json& params, const char* key) {
    const auto it = params.find(key);
    if (it == params.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::optional<std::int64_t> int_param(const json& params, const char* key) {
    const json* v = find_param(params, key);
    if (v == nullptr)
        return std::nullopt;
    if (v->is_number_integer())
        return v->get<std::int64_t>();
    if (v->is_string()) {
        const auto& s = v->get_ref<const std::string&>();
        try {
            std::size_t used = 0;
            const long long n = std::stoll(s, &used);
            if (used == s.size())
                return n;
        } catch (const std::exception&) {
        }
    }
    bad_request(std::string("field \"") + key + "\" must be a valid Number");
}

std::optional<std::string> string_param(const json& params, const char* key) {
    const json* v = find_param(params, key);
    if (v == nullptr)
        return std::nullopt;
    if (v->is_string())
        return v->get<std::string>();
    if (v->is_number() || v->is_boolean())
        return v->dump();
    bad_request(std::string("field \"") + key + "\" must be of type String");
}

bool bool_param(const json& params, const char* key) {
    const json* v = find_param(params, key);
    if (v == nullptr)
        return false;
    if (v->is_boolean())
        return v->get<bool>();
    if (v->is_string())
        return v->get<std::string>() == "true" || v->get<std::string>() == "1";
    if (v->is_number_integer())
        return v->get<int>() != 0;
    bad_request(std::string("field \"") + key + "\" must be of type Boolean");
}

std::optional<json> json_param(const json& params, const char* key, const char* error) {
    const json* v = find_param(params, key);
    if (v == nullptr)
        return std::nullopt;
    if (v->is_string()) {
        json parsed = json::parse(v->get<std::string>(), nullptr, false);
        if (parsed.is_discarded())
            bad_request(error);
        return parsed;
    }
    return *v;
}

std::int64_t chat_id_param(const json& params) {
    const json* v = find_param(params, "chat_id");
    if (v == nullptr)
        bad_request("chat_id is empty");
    if (v->is_string() && !v->get<std::string>().empty() && v->get<std::string>()[0] == '@') {
        bad_request("chat not found");
    }
    const auto id = int_param(params, "chat_id");
    if (!id || *id == 0)
        bad_request("chat not found");
    return *id;
}

std::optional<json> reply_markup_param(const json& params) {
    auto markup =
        json_param(params, "reply_markup", "can't parse reply keyboard markup JSON object");
    if (markup && !markup->is_object()) {
        bad_request("can't parse reply keyboard markup JSON object");
    }
    return markup;
}

void check_strings_utf8(const json& j) {
    if (j.is_string()) {
        if (!valid_utf8(j.get_ref<const std::string&>())) {
            bad_request("strings must be encoded in UTF-8");
        }
    } else if (j.is_structured()) {
        for (const auto& item : j)
            check_strings_utf8(item);
    }
}

/// Text after entity parsing, validated like Telegram; throws ApiError.
std::string parsed_text(const std::string& text, const std::optional<std::string>& parse_mode) {
    if (parse_mode && lower(*parse_mode) == "html") {
        std::string plain;
        std::string error;
        if (!FakeBotApi::parse_telegram_html(text, plain, error)) {
            bad_request("can't parse entities: " + error);
        }
        return plain;
    }
    if (parse_mode && !parse_mode->empty() && lower(*parse_mode) != "markdownv2" &&
        lower(*parse_mode) != "markdown") {
        bad_request("unsupported parse_mode");
    }
    return text;
}

void drop_connection(const httplib::Request& req) {
    // cpp-httplib 0.11 has no "close without answering" in its handler API, so find this
    // connection's socket by its address pair and shut it down; httplib still owns (and
    // later closes) the descriptor, and its attempt to answer fails harmlessly.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        int fd = -1;
        try {
            fd = std::stoi(entry.path().filename().string());
        } catch (const std::exception&) {
            continue;
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
            continue;
        sockaddr_storage local{};
        sockaddr_storage peer{};
        socklen_t local_len = sizeof local;
        socklen_t peer_len = sizeof peer;
        if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0)
            continue;
        if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0)
            continue;
        if (local.ss_family != AF_INET || peer.ss_family != AF_INET)
            continue;
        const auto* l = reinterpret_cast<const sockaddr_in*>(&local);
        const auto* p = reinterpret_cast<const sockaddr_in*>(&peer);
        if (ntohs(l->sin_port) == req.local_port && ntohs(p->sin_port) == req.remote_port) {
            ::shutdown(fd, SHUT_RDWR);
            return;
        }
    }
}

std::string safe_file_name(const std::string& name) {
    std::string out;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        out += ok ? c : '_';
    }
    if (out.empty() || out[0] == '.')
        out = "f" + out;
    return out.substr(0, 80);
}

struct StoredMessage {
    json message;
    std::string raw_text;  // as sent (markup included), to detect unchanged edits
    std::optional<std::string> parse_mode;
};

struct FileEntry {
    std::string content;
    std::string file_path;
    std::string unique_id;
    std::optional<std::size_t> stated_size;  // file_size to report instead of the real one
};

}  // namespace

bool FakeBotApi::parse_telegram_html(std::string_view html, std::string& text, std::string& error) {
    static const std::set<std::string> kAllowed = {"b",   "strong", "i",      "em",   "u",
                                                   "ins", "s",      "strike", "del",  "tg-spoiler",
                                                   "a",   "code",   "pre",    "span", "blockquote"};
    text.clear();
    std::vector<std::string> stack;
    std::size_t i = 0;
    const auto at = [](std::size_t pos) { return " at byte offset " + std::to_string(pos); };
    while (i < html.size()) {
        const char c = html[i];
        if (c == '<') {
            const std::size_t end = html.find('>', i);
            if (end == std::string_view::npos) {
                error = "Can't find end of the tag starting" + at(i);
                return false;
            }
            const std::string_view inner = html.substr(i + 1, end - i - 1);
            if (!inner.empty() && inner[0] == '/') {
                const std::string name = lower(trim(inner.substr(1)));
                if (stack.empty()) {
                    error = "Unexpected end tag" + at(i);
                    return false;
                }
                if (stack.back() != name) {
                    error = "Unmatched end tag" + at(i) + ", expected \"</" + stack.back() +
                            ">\", found \"</" + name + ">\"";
                    return false;
                }
                stack.pop_back();
            } else {
                std::size_t n = 0;
                while (n < inner.size() && inner[n] != ' ' && inner[n] != '\t' &&
                       inner[n] != '\n') {
                    ++n;
                }
                const std::string name = lower(std::string(inner.substr(0, n)));
                if (kAllowed.count(name) == 0) {
                    error = "Unsupported start tag \"" + name + "\"" + at(i);
                    return false;
                }
                const std::string attrs(inner.substr(n));
                if (name == "span" && attrs.find("class=\"tg-spoiler\"") == std::string::npos &&
                    attrs.find("class='tg-spoiler'") == std::string::npos) {
                    error = "Tag \"span\" must have class \"tg-spoiler\"" + at(i);
                    return false;
                }
                if (name == "a" && attrs.find("href=") == std::string::npos) {
                    error = "Tag \"a\" must have attribute \"href\"" + at(i);
                    return false;
                }
                if (attrs.find('<') != std::string::npos) {
                    error = "Unclosed start tag" + at(i);
                    return false;
                }
                stack.push_back(name);
            }
            i = end + 1;
            continue;
        }
        if (c == '&') {
            const std::size_t end = html.find(';', i);
            const std::string_view body = end == std::string_view::npos || end - i > 10
                                              ? std::string_view{}
                                              : html.substr(i + 1, end - i - 1);
            std::uint32_t cp = 0;
            if (body == "lt") {
                cp = '<';
            } else if (body == "gt") {
                cp = '>';
            } else if (body == "amp") {
                cp = '&';
            } else if (body == "quot") {
                cp = '"';
            } else if (body.size() >= 2 && body[0] == '#') {
                const bool hex = body[1] == 'x' || body[1] == 'X';
                try {
                    std::size_t used = 0;
                    const std::string digits(body.substr(hex ? 2 : 1));
                    const unsigned long v = std::stoul(digits, &used, hex ? 16 : 10);
                    if (used == digits.size() && v > 0 && v <= 0x10FFFF &&
                        !(v >= 0xD800 && v <= 0xDFFF)) {
                        cp = static_cast<std::uint32_t>(v);
                    }
                } catch (const std::exception&) {
                }
            }
            if (cp == 0) {
                error = "Unsupported HTML entity or unescaped \"&\"" + at(i);
                return false;
            }
            append_utf8(text, cp);
            i = end + 1;
            continue;
        }
        text += c;
        ++i;
    }
    if (!stack.empty()) {
        error = "Can't find end tag corresponding to start tag \"" + stack.back() + "\"";
        return false;
    }
    return true;
}

struct FakeBotApi::Impl {
    FakeBotApi& owner;
    httplib::Server server;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    bool stopping = false;
    std::uint64_t version = 0;

    std::int64_t next_update_id = 500000;
    std::deque<json> updates;
    std::set<std::string> allowed_updates;
    std::uint64_t poll_generation = 0;
    std::string webhook_url;

    std::int64_t next_message_id = 1000;
    std::map<std::int64_t, StoredMessage> messages;
    std::vector<std::int64_t> message_order;
    std::int64_t next_callback = 1;
    std::map<std::string, json> issued_callbacks;
    std::map<std::string, json> answered;
    json commands = json::array();

    std::int64_t next_file = 1;
    std::map<std::string, FileEntry> files;           // by file_id
    std::map<std::string, std::string> file_by_path;  // file_path -> file_id
    std::map<std::string, json> video_objects;        // file_id -> Video object

    std::map<std::string, std::deque<Fault>> faults;
    std::vector<RecordedCall> calls;

    explicit Impl(FakeBotApi& o) : owner(o) {}

    void touch() {
        ++version;
        changed.notify_all();
    }

    /// Waits `delay` or until stop; lock must not be held.
    void interruptible_wait(std::chrono::milliseconds delay) {
        std::unique_lock lock(mutex);
        changed.wait_for(lock, delay, [&] { return stopping; });
    }

    std::string add_file_locked(std::string content, const std::string& name,
                                const std::string& prefix) {
        const std::int64_t n = next_file++;
        const std::string id = prefix + "FakeFileId" + std::to_string(n);
        FileEntry entry;
        entry.content = std::move(content);
        entry.file_path = "files/" + std::to_string(n) + "_" + safe_file_name(name);
        entry.unique_id = "AgADFake" + std::to_string(n);
        file_by_path[entry.file_path] = id;
        files[id] = std::move(entry);
        return id;
    }

    json file_object_locked(const std::string& id) const {
        const auto& f = files.at(id);
        return {{"file_id", id},
                {"file_unique_id", f.unique_id},
                {"file_size", f.stated_size.value_or(f.content.size())}};
    }

    std::int64_t push_locked(json update) {
        const std::int64_t id = next_update_id++;
        update["update_id"] = id;
        updates.push_back(std::move(update));
        touch();
        return id;
    }

    json incoming_message_locked(std::int64_t from, std::int64_t chat) {
        return {{"message_id", next_message_id++},
                {"from", user_json(from)},
                {"chat", chat_json(chat)},
                {"date", unix_now()}};
    }

    static std::string update_type(const json& update) {
        for (const auto& [key, value] : update.items()) {
            if (key != "update_id")
                return key;
        }
        return {};
    }

    bool deliverable(const json& update) const {
        return allowed_updates.empty() || allowed_updates.count(update_type(update)) > 0;
    }

    // ---- methods ----

    json get_updates(const json& p) {
        const auto offset = int_param(p, "offset").value_or(0);
        const auto limit = std::clamp<std::int64_t>(int_param(p, "limit").value_or(100), 1, 100);
        const auto timeout = std::clamp<std::int64_t>(int_param(p, "timeout").value_or(0), 0, 50);
        auto allowed = json_param(p, "allowed_updates", "can't parse allowed_updates");
        std::unique_lock lock(mutex);
        if (!webhook_url.empty()) {
            throw ApiError{409,
                           "Conflict: can't use getUpdates method while webhook is active; use "
                           "deleteWebhook to delete the webhook first"};
        }
        if (allowed && allowed->is_array()) {
            allowed_updates.clear();
            for (const auto& a : *allowed) {
                if (a.is_string())
                    allowed_updates.insert(a.get<std::string>());
            }
        }
        // Telegram: an offset confirms (forgets) every update with a smaller id; a negative
        // offset keeps only the last -offset updates. A server whose ids restarted may take an
        // offset beyond any id it issued as "from the head" (Options::future_offset_from_head).
        const bool future = offset > next_update_id;
        if (offset > 0 && !(future && owner.options_.future_offset_from_head)) {
            while (!updates.empty() && updates.front()["update_id"].get<std::int64_t>() < offset) {
                updates.pop_front();
            }
        } else if (offset < 0) {
            while (static_cast<std::int64_t>(updates.size()) > -offset)
                updates.pop_front();
        }
        const std::uint64_t generation = ++poll_generation;
        touch();  // wakes an older poll, which then answers 409 like Telegram
        const auto ready = [&] {
            return stopping || poll_generation != generation ||
                   std::any_of(updates.begin(), updates.end(),
                               [&](const json& u) { return deliverable(u); });
        };
        changed.wait_for(lock, std::chrono::seconds(owner.options_.hold_polls ? timeout : 0),
                         ready);
        if (poll_generation != generation) {
            throw ApiError{409,
                           "Conflict: terminated by other getUpdates request; make sure that "
                           "only one bot instance is running"};
        }
        json result = json::array();
        for (const auto& u : updates) {
            if (static_cast<std::int64_t>(result.size()) >= limit)
                break;
            if (deliverable(u))
                result.push_back(u);
        }
        return result;
    }

    json store_sent_locked(std::int64_t chat, json message, std::string raw,
                           std::optional<std::string> parse_mode) {
        const std::int64_t id = message["message_id"].get<std::int64_t>();
        messages[id] = {message, std::move(raw), std::move(parse_mode)};
        message_order.push_back(id);
        (void)chat;
        return message;
    }

    void apply_reply_locked(const json& p, json& message) {
        std::optional<std::int64_t> reply_to = int_param(p, "reply_to_message_id");
        if (auto rp = json_param(p, "reply_parameters", "can't parse reply parameters JSON");
            rp && rp->is_object() && rp->contains("message_id")) {
            reply_to = int_param(*rp, "message_id");
        }
        if (reply_to) {
            const auto it = messages.find(*reply_to);
            message["reply_to_message"] =
                it != messages.end() ? it->second.message : json{{"message_id", *reply_to}};
        }
    }

    json send_message(const json& p) {
        const std::int64_t chat = chat_id_param(p);
        const auto text = string_param(p, "text");
        const auto parse_mode = string_param(p, "parse_mode");
        const auto markup = reply_markup_param(p);
        if (!text || trim(*text).empty())
            bad_request("message text is empty");
        const std::string plain = parsed_text(*text, parse_mode);
        if (trim(plain).empty())
            bad_request("message text is empty");
        if (utf16_units(plain) > 4096)
            bad_request("message is too long");
        std::lock_guard lock(mutex);
        json m = {{"message_id", next_message_id++},
                  {"from", bot_user()},
                  {"chat", chat_json(chat)},
                  {"date", unix_now()},
                  {"text", plain}};
        if (markup)
            m["reply_markup"] = *markup;
        apply_reply_locked(p, m);
        auto result = store_sent_locked(chat, m, *text, parse_mode);
        touch();
        return result;
    }

    StoredMessage& find_message_locked(const json& p, const char* not_found) {
        const std::int64_t chat = chat_id_param(p);
        const auto id = int_param(p, "message_id");
        if (!id)
            bad_request("message identifier is not specified");
        const auto it = messages.find(*id);
        if (it == messages.end() || it->second.message["chat"]["id"].get<std::int64_t>() != chat) {
            bad_request(not_found);
        }
        return it->second;
    }

    json edit_message_text(const json& p) {
        const auto text = string_param(p, "text");
        const auto parse_mode = string_param(p, "parse_mode");
        const auto markup = reply_markup_param(p);
        if (!text || trim(*text).empty())
            bad_request("message text is empty");
        const std::string plain = parsed_text(*text, parse_mode);
        if (trim(plain).empty())
            bad_request("message text is empty");
        if (utf16_units(plain) > 4096)
            bad_request("message is too long");
        std::lock_guard lock(mutex);
        StoredMessage& stored = find_message_locked(p, "message to edit not found");
        if (!stored.message.contains("text"))
            bad_request("there is no text in the message to edit");
        refuse_unchanged_locked(stored, plain == stored.message["text"].get<std::string>(), markup);
        stored.message["text"] = plain;
        stored.raw_text = *text;
        stored.parse_mode = parse_mode;
        return stamp_edit_locked(stored, markup);
    }

    json edit_message_caption(const json& p) {
        const auto caption = string_param(p, "caption");
        const auto parse_mode = string_param(p, "parse_mode");
        const auto markup = reply_markup_param(p);
        const std::string plain = caption ? parsed_text(*caption, parse_mode) : std::string{};
        if (utf16_units(plain) > 1024)
            bad_request("message caption is too long");
        std::lock_guard lock(mutex);
        StoredMessage& stored = find_message_locked(p, "message to edit not found");
        if (stored.message.contains("text"))
            bad_request("there is no caption in the message to edit");
        refuse_unchanged_locked(stored,
                                plain == stored.message.value("caption", std::string{}) &&
                                    caption.value_or("") == stored.raw_text,
                                markup);
        if (plain.empty()) {
            stored.message.erase("caption");
        } else {
            stored.message["caption"] = plain;
        }
        stored.raw_text = caption.value_or("");
        stored.parse_mode = parse_mode;
        return stamp_edit_locked(stored, markup);
    }

    json edit_message_reply_markup(const json& p) {
        const auto markup = reply_markup_param(p);
        std::lock_guard lock(mutex);
        StoredMessage& stored = find_message_locked(p, "message to edit not found");
        refuse_unchanged_locked(stored, true, markup);
        return stamp_edit_locked(stored, markup);
    }

    // Telegram refuses an edit that leaves the content (`same_content`) and the keyboard as
    // they are.
    static void refuse_unchanged_locked(const StoredMessage& stored, bool same_content,
                                        const std::optional<json>& markup) {
        const json old_markup = stored.message.value("reply_markup", json());
        const json new_markup = markup ? *markup : json();
        if (same_content && old_markup == new_markup) {
            bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message");
        }
    }

    // The keyboard of an edited message is the edit's own: one it does not repeat is gone.
    json stamp_edit_locked(StoredMessage& stored, const std::optional<json>& markup) {
        if (markup) {
            stored.message["reply_markup"] = *markup;
        } else {
            stored.message.erase("reply_markup");
        }
        stored.message["edit_date"] = unix_now();
        touch();
        return stored.message;
    }

    json send_chat_action(const json& p) {
        chat_id_param(p);
        static const std::set<std::string> kActions = {
            "typing",        "upload_photo",      "record_video",     "upload_video",
            "record_voice",  "upload_voice",      "upload_document",  "choose_sticker",
            "find_location", "record_video_note", "upload_video_note"};
        const auto action = string_param(p, "action");
        if (!action || kActions.count(*action) == 0)
            bad_request("wrong parameter action in request");
        return true;
    }

    json answer_callback_query(const json& p) {
        const auto id = string_param(p, "callback_query_id");
        const auto text = string_param(p, "text");
        if (text && utf16_units(*text) > 200)
            bad_request("MESSAGE_TOO_LONG");
        std::lock_guard lock(mutex);
        if (!id || issued_callbacks.count(*id) == 0 || answered.count(*id) > 0) {
            bad_request("query is too old and response timeout expired or query ID is invalid");
        }
        answered[*id] = p;
        touch();
        return true;
    }

    json set_my_commands(const json& p) {
        const auto list = json_param(p, "commands", "can't parse commands JSON object");
        if (!list || !list->is_array())
            bad_request("commands must be an array");
        if (list->size() > 100)
            bad_request("too many commands");
        for (const auto& c : *list) {
            const std::string command = c.value("command", "");
            const std::string description = c.value("description", "");
            const bool valid =
                !command.empty() && command.size() <= 32 &&
                std::all_of(command.begin(), command.end(), [](char ch) {
                    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
                });
            if (!valid)
                bad_request("BOT_COMMAND_INVALID");
            if (description.empty() || utf16_units(description) > 256) {
                bad_request("command description is empty or too long");
            }
        }
        std::lock_guard lock(mutex);
        commands = *list;
        touch();
        return true;
    }

    json delete_webhook(const json& p) {
        const bool drop = bool_param(p, "drop_pending_updates");
        std::lock_guard lock(mutex);
        webhook_url.clear();
        if (drop)
            updates.clear();
        touch();
        return true;
    }

    json get_file(const json& p) {
        const auto id = string_param(p, "file_id");
        std::lock_guard lock(mutex);
        if (!id || files.count(*id) == 0)
            bad_request("invalid file_id");
        json f = file_object_locked(*id);
        f["file_path"] = files.at(*id).file_path;
        return f;
    }

    json send_video(const json& p, const std::vector<ReceivedFile>& received) {
        const std::int64_t chat = chat_id_param(p);
        const auto width = int_param(p, "width");
        const auto height = int_param(p, "height");
        const auto duration = int_param(p, "duration");
        bool_param(p, "supports_streaming");
        const auto caption = string_param(p, "caption");
        const auto parse_mode = string_param(p, "parse_mode");
        const auto markup = reply_markup_param(p);
        std::string plain_caption;
        if (caption) {
            plain_caption = parsed_text(*caption, parse_mode);
            if (utf16_units(plain_caption) > 1024)
                bad_request("message caption is too long");
        }
        const auto find_file = [&](const char* field) -> const ReceivedFile* {
            for (const auto& f : received) {
                if (f.field == field)
                    return &f;
            }
            return nullptr;
        };
        std::lock_guard lock(mutex);
        json video;
        if (const ReceivedFile* up = find_file("video")) {
            if (up->size == 0)
                bad_request("file must be non-empty");
            std::ifstream in(up->saved_path, std::ios::binary);
            std::string content((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
            const std::string id = add_file_locked(std::move(content), up->filename, "BAAC");
            video = file_object_locked(id);
            video["width"] = width.value_or(0);
            video["height"] = height.value_or(0);
            video["duration"] = duration.value_or(0);
            video["file_name"] = up->filename;
            video["mime_type"] = "video/mp4";
            if (const ReceivedFile* thumb = find_file("thumbnail")) {
                std::ifstream tin(thumb->saved_path, std::ios::binary);
                std::string tcontent((std::istreambuf_iterator<char>(tin)),
                                     std::istreambuf_iterator<char>());
                const std::string tid = add_file_locked(std::move(tcontent), "thumb.jpg", "AAMC");
                json t = file_object_locked(tid);
                t["width"] = 320;
                t["height"] = 180;
                video["thumbnail"] = t;
            }
            video_objects[id] = video;
        } else {
            const auto id = string_param(p, "video");
            if (!id || id->empty())
                bad_request("there is no video in the request");
            const auto it = video_objects.find(*id);
            if (it == video_objects.end())
                bad_request("wrong file identifier/HTTP URL specified");
            video = it->second;
        }
        json m = {{"message_id", next_message_id++},
                  {"from", bot_user()},
                  {"chat", chat_json(chat)},
                  {"date", unix_now()},
                  {"video", video}};
        if (caption && !plain_caption.empty())
            m["caption"] = plain_caption;
        if (markup)
            m["reply_markup"] = *markup;
        apply_reply_locked(p, m);
        auto result = store_sent_locked(chat, m, caption.value_or(""), parse_mode);
        touch();
        return result;
    }

    // ---- HTTP plumbing ----

    static void answer(httplib::Response& res, int status, const json& body) {
        res.status = status;
        res.set_content(body.dump(), "application/json");
    }

    static json error_body(const ApiError& e) {
        json body = {{"ok", false}, {"error_code", e.code}, {"description", e.description}};
        if (!e.parameters.is_null())
            body["parameters"] = e.parameters;
        return body;
    }

    json collect_params(const httplib::Request& req, std::vector<ReceivedFile>& received,
                        std::size_t call_number) {
        json params = json::object();
        for (const auto& [key, value] : req.params)
            params[key] = value;
        const std::string type = req.get_header_value("Content-Type");
        if (type.rfind("application/json", 0) == 0 && !req.body.empty()) {
            json body = json::parse(req.body, nullptr, false);
            if (body.is_discarded() || !body.is_object())
                bad_request("can't parse JSON");
            for (auto& [key, value] : body.items())
                params[key] = value;
        }
        if (req.is_multipart_form_data()) {
            for (const auto& [name, part] : req.files) {
                if (part.filename.empty()) {
                    params[name] = part.content;
                    continue;
                }
                ReceivedFile f;
                f.field = name;
                f.filename = part.filename;
                f.content_type = part.content_type;
                f.size = part.content.size();
                f.saved_path = owner.options_.upload_dir /
                               (std::to_string(call_number) + "_" + safe_file_name(name) + "_" +
                                safe_file_name(part.filename));
                std::ofstream out(f.saved_path, std::ios::binary);
                out.write(part.content.data(), static_cast<std::streamsize>(part.content.size()));
                received.push_back(std::move(f));
            }
        }
        return params;
    }

    void handle_method(const httplib::Request& req, httplib::Response& res) {
        const std::string token = req.matches[1];
        const std::string method = req.matches[2];
        RecordedCall call;
        call.method = method;
        call.time = Clock::now();
        call.content_type = req.get_header_value("Content-Type");
        if (req.has_header("Content-Length")) {
            call.content_length = req.get_header_value<std::uint64_t>("Content-Length");
        }
        call.chunked = lower(req.get_header_value("Transfer-Encoding")) == "chunked";
        std::size_t index = 0;
        {
            std::lock_guard lock(mutex);
            index = calls.size();
            calls.push_back(call);
        }
        int status = 200;
        json body;
        std::optional<std::chrono::milliseconds> delay;
        bool dropped = false;
        try {
            std::vector<ReceivedFile> received;
            json params = collect_params(req, received, index);
            {
                std::lock_guard lock(mutex);
                calls[index].params = params;
                calls[index].files = received;
                touch();
            }
            if (token != owner.options_.token)
                throw ApiError{401, "Unauthorized"};
            std::optional<Fault> fault;
            {
                std::lock_guard lock(mutex);
                for (const auto& key : {method, std::string("*")}) {
                    auto it = faults.find(key);
                    if (it != faults.end() && !it->second.empty()) {
                        fault = it->second.front();
                        it->second.pop_front();
                        break;
                    }
                }
            }
            if (fault) {
                switch (fault->kind) {
                    case Fault::Kind::rate_limit:
                        throw ApiError{429,
                                       "Too Many Requests: retry after " +
                                           std::to_string(fault->retry_after_s),
                                       {{"retry_after", fault->retry_after_s}}};
                    case Fault::Kind::internal_error:
                        throw ApiError{500, "Internal Server Error"};
                    case Fault::Kind::bad_gateway:
                        throw ApiError{502, "Bad Gateway"};
                    case Fault::Kind::drop_connection:
                        dropped = true;
                        break;
                    case Fault::Kind::slow_reply:
                        delay = fault->delay;
                        break;
                    case Fault::Kind::api_error:
                        throw ApiError{fault->error_code, fault->description, fault->parameters};
                }
            }
            if (!dropped) {
                check_strings_utf8(params);
                const std::string m = lower(method);
                json result;
                if (m == "getme") {
                    result = bot_user();
                } else if (m == "getupdates") {
                    result = get_updates(params);
                } else if (m == "sendmessage") {
                    result = send_message(params);
                } else if (m == "editmessagetext") {
                    result = edit_message_text(params);
                } else if (m == "editmessagecaption") {
                    result = edit_message_caption(params);
                } else if (m == "editmessagereplymarkup") {
                    result = edit_message_reply_markup(params);
                } else if (m == "sendchataction") {
                    result = send_chat_action(params);
                } else if (m == "answercallbackquery") {
                    result = answer_callback_query(params);
                } else if (m == "setmycommands") {
                    result = set_my_commands(params);
                } else if (m == "deletewebhook") {
                    result = delete_webhook(params);
                } else if (m == "getfile") {
                    result = get_file(params);
                } else if (m == "sendvideo") {
                    result = send_video(params, received);
                } else {
                    throw ApiError{404, "Not Found"};
                }
                body = {{"ok", true}, {"result", result}};
            }
        } catch (const ApiError& e) {
            status = e.code;
            body = error_body(e);
        }
        if (dropped) {
            drop_connection(req);
            res.status = 500;  // never reaches the client: the socket is shut down
            return;
        }
        if (delay)
            interruptible_wait(*delay);
        {
            std::lock_guard lock(mutex);
            calls[index].status = status;
            touch();
        }
        answer(res, status, body);
    }

    void handle_file(const httplib::Request& req, httplib::Response& res) {
        const std::string token = req.matches[1];
        const std::string path = req.matches[2];
        if (token != owner.options_.token) {
            answer(res, 401, error_body({401, "Unauthorized"}));
            return;
        }
        std::lock_guard lock(mutex);
        const auto it = file_by_path.find(path);
        if (it == file_by_path.end()) {
            answer(res, 404, error_body({404, "Not Found"}));
            return;
        }
        res.status = 200;
        res.set_content(files.at(it->second).content, "application/octet-stream");
    }
};

FakeBotApi::FakeBotApi() : FakeBotApi(Options{}) {}

FakeBotApi::FakeBotApi(Options options) : options_(std::move(options)) {
    if (options_.upload_dir.empty()) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "fake-bot-api-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("FakeBotApi: mkdtemp failed");
        }
        options_.upload_dir = pattern;
        own_upload_dir_ = true;
    } else {
        std::filesystem::create_directories(options_.upload_dir);
    }
    impl_ = std::make_unique<Impl>(*this);
    auto& server = impl_->server;
    const std::size_t threads = std::max<std::size_t>(options_.threads, 2);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_keep_alive_timeout(1);
    server.set_read_timeout(10, 0);
    Impl* impl = impl_.get();
    const auto method = [impl](const httplib::Request& req, httplib::Response& res) {
        impl->handle_method(req, res);
    };
    server.Post(R"(/bot([^/]*)/([A-Za-z0-9_]+))", method);
    server.Get(R"(/bot([^/]*)/([A-Za-z0-9_]+))", method);
    server.Get(R"(/file/bot([^/]*)/(.+))",
               [impl](const httplib::Request& req, httplib::Response& res) {
                   impl->handle_file(req, res);
               });
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) {
            Impl::answer(res, res.status == -1 ? 404 : res.status,
                         Impl::error_body({404, "Not Found"}));
        }
    });
    server.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
            Impl::answer(res, 500, Impl::error_body({500, "Internal Server Error"}));
        });
    port_ = server.bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
        throw std::runtime_error("FakeBotApi: cannot bind 127.0.0.1");
    impl_->thread = bot::listen_in_background(server);
}

FakeBotApi::~FakeBotApi() {
    stop();
    if (own_upload_dir_) {
        std::error_code ec;
        std::filesystem::remove_all(options_.upload_dir, ec);
    }
}

void FakeBotApi::stop() {
    if (!impl_)
        return;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopping && !impl_->thread.joinable())
            return;
        impl_->stopping = true;
        impl_->touch();
    }
    impl_->server.stop();
    if (impl_->thread.joinable())
        impl_->thread.join();
}

std::string FakeBotApi::base_url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
}

std::int64_t FakeBotApi::push_message(std::int64_t from_user_id, std::int64_t chat_id,
                                      const std::string& text) {
    std::lock_guard lock(impl_->mutex);
    json m = impl_->incoming_message_locked(from_user_id, chat_id);
    m["text"] = text;
    if (!text.empty() && text[0] == '/') {
        const auto end = text.find_first_of(" \n");
        const std::size_t length = end == std::string::npos ? text.size() : end;
        m["entities"] = json::array({{{"type", "bot_command"},
                                      {"offset", 0},
                                      {"length", utf16_units(text.substr(0, length))}}});
    }
    return impl_->push_locked({{"message", m}});
}

std::int64_t FakeBotApi::push_callback(std::int64_t from_user_id, std::int64_t message_id,
                                       const std::string& data) {
    std::lock_guard lock(impl_->mutex);
    const std::string id = "cbq" + std::to_string(impl_->next_callback++);
    json q = {
        {"id", id}, {"from", user_json(from_user_id)}, {"chat_instance", "-4242"}, {"data", data}};
    const auto it = impl_->messages.find(message_id);
    if (it != impl_->messages.end()) {
        q["message"] = it->second.message;
    } else {
        q["message"] = {{"message_id", message_id},
                        {"chat", chat_json(from_user_id)},
                        {"date", unix_now()},
                        {"from", bot_user()}};
    }
    impl_->issued_callbacks[id] = q;
    return impl_->push_locked({{"callback_query", q}});
}

std::int64_t FakeBotApi::push_document(std::int64_t from_user_id, std::int64_t chat_id,
                                       const std::string& file_name, const std::string& content,
                                       const std::string& mime_type, const std::string& caption) {
    std::lock_guard lock(impl_->mutex);
    const std::string id = impl_->add_file_locked(content, file_name, "BQAC");
    json doc = impl_->file_object_locked(id);
    doc["file_name"] = file_name;
    doc["mime_type"] = mime_type;
    json m = impl_->incoming_message_locked(from_user_id, chat_id);
    m["document"] = doc;
    if (!caption.empty())
        m["caption"] = caption;
    return impl_->push_locked({{"message", m}});
}

std::int64_t FakeBotApi::push_photo(std::int64_t from_user_id, std::int64_t chat_id,
                                    const std::string& content, int width, int height,
                                    const std::string& caption) {
    std::lock_guard lock(impl_->mutex);
    const std::string id = impl_->add_file_locked(content, "photo.jpg", "AgAC");
    json size = impl_->file_object_locked(id);
    size["width"] = width;
    size["height"] = height;
    json m = impl_->incoming_message_locked(from_user_id, chat_id);
    m["photo"] = json::array({size});
    if (!caption.empty())
        m["caption"] = caption;
    return impl_->push_locked({{"message", m}});
}

std::int64_t FakeBotApi::push_video(std::int64_t from_user_id, std::int64_t chat_id,
                                    const std::string& content, int width, int height, int duration,
                                    const std::string& caption) {
    std::lock_guard lock(impl_->mutex);
    const std::string id = impl_->add_file_locked(content, "video.mp4", "BAAC");
    json video = impl_->file_object_locked(id);
    video["width"] = width;
    video["height"] = height;
    video["duration"] = duration;
    video["mime_type"] = "video/mp4";
    impl_->video_objects[id] = video;
    json m = impl_->incoming_message_locked(from_user_id, chat_id);
    m["video"] = video;
    if (!caption.empty())
        m["caption"] = caption;
    return impl_->push_locked({{"message", m}});
}

std::int64_t FakeBotApi::push_update(json update) {
    std::lock_guard lock(impl_->mutex);
    return impl_->push_locked(std::move(update));
}

std::size_t FakeBotApi::pending_updates() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->updates.size();
}

std::string FakeBotApi::register_file(const std::string& content, const std::string& name) {
    std::lock_guard lock(impl_->mutex);
    return impl_->add_file_locked(content, name, "BQAC");
}

void FakeBotApi::state_file_size(const std::string& file_id, std::size_t bytes) {
    std::lock_guard lock(impl_->mutex);
    impl_->files.at(file_id).stated_size = bytes;
}

void FakeBotApi::set_webhook(const std::string& url) {
    std::lock_guard lock(impl_->mutex);
    impl_->webhook_url = url;
    impl_->touch();
}

void FakeBotApi::fail_next(const std::string& method, int count, Fault fault) {
    std::lock_guard lock(impl_->mutex);
    for (int i = 0; i < count; ++i)
        impl_->faults[method].push_back(fault);
}

void FakeBotApi::clear_faults() {
    std::lock_guard lock(impl_->mutex);
    impl_->faults.clear();
}

std::vector<RecordedCall> FakeBotApi::calls() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->calls;
}

std::vector<RecordedCall> FakeBotApi::calls(const std::string& method) const {
    std::lock_guard lock(impl_->mutex);
    std::vector<RecordedCall> out;
    for (const auto& c : impl_->calls) {
        if (c.method == method)
            out.push_back(c);
    }
    return out;
}

std::size_t FakeBotApi::call_count(const std::string& method) const {
    std::lock_guard lock(impl_->mutex);
    return static_cast<std::size_t>(
        std::count_if(impl_->calls.begin(), impl_->calls.end(),
                      [&](const RecordedCall& c) { return c.method == method; }));
}

bool FakeBotApi::wait_for_calls(const std::string& method, std::size_t count,
                                std::chrono::milliseconds timeout) const {
    return wait_until([&] { return call_count(method) >= count; }, timeout);
}

bool FakeBotApi::wait_until(const std::function<bool()>& condition,
                            std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(impl_->mutex);
            seen = impl_->version;
        }
        if (condition())
            return true;
        std::unique_lock lock(impl_->mutex);
        if (Clock::now() >= deadline)
            return false;
        impl_->changed.wait_until(lock,
                                  std::min(deadline, Clock::now() + std::chrono::milliseconds(50)),
                                  [&] { return impl_->version != seen; });
    }
}

std::vector<json> FakeBotApi::sent_messages(std::int64_t chat_id) const {
    std::lock_guard lock(impl_->mutex);
    std::vector<json> out;
    for (const auto id : impl_->message_order) {
        const auto& m = impl_->messages.at(id).message;
        if (m["chat"]["id"].get<std::int64_t>() == chat_id)
            out.push_back(m);
    }
    return out;
}

std::vector<std::string> FakeBotApi::sent_texts(std::int64_t chat_id) const {
    std::vector<std::string> out;
    for (const auto& m : sent_messages(chat_id)) {
        if (m.contains("text"))
            out.push_back(m["text"].get<std::string>());
    }
    return out;
}

std::vector<json> FakeBotApi::all_sent_messages() const {
    std::lock_guard lock(impl_->mutex);
    std::vector<json> out;
    for (const auto id : impl_->message_order)
        out.push_back(impl_->messages.at(id).message);
    return out;
}

std::optional<json> FakeBotApi::message(std::int64_t message_id) const {
    std::lock_guard lock(impl_->mutex);
    const auto it = impl_->messages.find(message_id);
    if (it == impl_->messages.end())
        return std::nullopt;
    return it->second.message;
}

std::map<std::string, json> FakeBotApi::answered_callbacks() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->answered;
}

json FakeBotApi::commands() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->commands;
}

std::optional<std::string> FakeBotApi::file_content(const std::string& file_id) const {
    std::lock_guard lock(impl_->mutex);
    const auto it = impl_->files.find(file_id);
    if (it == impl_->files.end())
        return std::nullopt;
    return it->second.content;
}

}  // namespace memegen::test
