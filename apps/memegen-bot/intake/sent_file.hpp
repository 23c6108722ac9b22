#pragma once
/// \file sent_file.hpp
/// Which file of a message sent to the bot goes into which library, under which name.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "library/library_catalog.hpp"

namespace memegen::bot {

/// A file someone sent, and where it goes.
struct SentFile {
    nlohmann::json file;  ///< the Bot API PhotoSize / Animation / Video / Audio / Document ...
    MediaRole role = MediaRole::meme;
    std::string name;  ///< the file's name, or one made of its kind and unique id (sanitised later)
};

/// The file `message` carries for a library; nullopt for a kind no library takes (a sticker,
/// a text document) or a file without a file_id. The largest photo size is taken.
[[nodiscard]] std::optional<SentFile> sent_file_of(const nlohmann::json& message);

/// The sidecar of a sent file (library-sidecar.md): who sent it, and a usable caption as its
/// title.
[[nodiscard]] nlohmann::json sent_file_sidecar(const nlohmann::json& message,
                                               const std::string& who);

}  // namespace memegen::bot
