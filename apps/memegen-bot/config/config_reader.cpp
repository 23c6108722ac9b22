#include "config/config_reader.hpp"

namespace memegen::bot {

namespace fs = std::filesystem;
using nlohmann::json;

void ConfigReader::problem(const std::string& key, std::string message) {
    keys_with_problems_.insert(key);
    const auto it = origin.find(key);
    problems_.push_back({it == origin.end() ? key : it->second, std::move(message)});
}

void ConfigReader::problem_as_is(std::string name, std::string message) {
    problems_.push_back({std::move(name), std::move(message)});
}

const json* ConfigReader::find(const std::string& key) const {
    const json* node = &merged;
    std::string_view rest = key;
    while (true) {
        const auto dot = rest.find('.');
        const std::string part(rest.substr(0, dot));
        if (!node->is_object())
            return nullptr;
        const auto it = node->find(part);
        if (it == node->end() || it->is_null())
            return nullptr;
        node = &*it;
        if (dot == std::string_view::npos)
            return node;
        rest.remove_prefix(dot + 1);
    }
}

fs::path ConfigReader::resolve(const std::string& key, const fs::path& p) const {
    if (p.is_absolute())
        return p.lexically_normal();
    const fs::path& base = origin.count(key) != 0 ? cwd_ : file_dir_;
    return (base / p).lexically_normal();
}

}  // namespace memegen::bot
