#pragma once
/// \file config_reader.hpp
/// What reading a configuration works on (private to config/): the file's JSON with the
/// environment applied, which variable set which key, where relative paths start, and the
/// problems found so far, each named by its key or by the variable that set it.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace memegen::bot {

class ConfigReader {
  public:
    ConfigReader(std::vector<ConfigProblem>& problems, std::filesystem::path file_dir,
                 std::filesystem::path cwd)
        : problems_(problems), file_dir_(std::move(file_dir)), cwd_(std::move(cwd)) {}

    nlohmann::json merged = nlohmann::json::object();  ///< the file with env overrides applied
    std::map<std::string, std::string> origin;         ///< key -> the variable that set it

    /// Records a problem of `key`, named by the variable that set it if one did.
    void problem(const std::string& key, std::string message);
    /// Records a problem under a name that is not a key (the file, an unknown key).
    void problem_as_is(std::string name, std::string message);
    /// True when `key` already has a problem (cross-field rules then stay quiet).
    [[nodiscard]] bool has_problem(const std::string& key) const {
        return keys_with_problems_.count(key) != 0;
    }

    /// The value at a dotted key ("render.crf"); nullptr when absent or null.
    [[nodiscard]] const nlohmann::json* find(const std::string& key) const;

    /// `p` made absolute: against the config file's directory, or the working directory when
    /// the environment set `key` or there is no file.
    [[nodiscard]] std::filesystem::path resolve(const std::string& key,
                                                const std::filesystem::path& p) const;

    [[nodiscard]] const std::filesystem::path& file_dir() const { return file_dir_; }
    [[nodiscard]] const std::filesystem::path& cwd() const { return cwd_; }

  private:
    std::vector<ConfigProblem>& problems_;
    std::set<std::string> keys_with_problems_;
    std::filesystem::path file_dir_;
    std::filesystem::path cwd_;
};

}  // namespace memegen::bot
