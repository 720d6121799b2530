#include "common/shlex.hpp"

namespace netdiag {

Result<std::vector<std::string>> shlex_split(std::string_view text, bool comments) {
    constexpr std::string_view kWhitespace = " \t\r\n";
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;  // an empty quoted word ('') is a word too
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (kWhitespace.find(c) != std::string_view::npos) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (comments && c == '#') {
            break;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) return make_error("a backslash at the end");
            word.push_back(text[++i]);
            in_word = true;
        } else if (c == '\'') {
            const auto close = text.find('\'', i + 1);
            if (close == std::string_view::npos) return make_error("unbalanced ' quote");
            word.append(text.substr(i + 1, close - i - 1));
            i = close;
            in_word = true;
        } else if (c == '"') {
            std::size_t j = i + 1;
            for (; j < text.size() && text[j] != '"'; ++j) {
                if (text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) ++j;
                word.push_back(text[j]);
            }
            if (j >= text.size()) return make_error("unbalanced \" quote");
            i = j;
            in_word = true;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

}  // namespace netdiag
