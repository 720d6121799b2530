// Drift guard: every subcommand and long flag the parser knows appears in each completion script.
// (tests/e2e/completions.sh checks that the shells really complete them.)
#include <catch2/catch.hpp>

#include <cctype>


#include "checks/catalogue.hpp"
#include "checks/settings.hpp"
#include "cmd/commands.hpp"
#include "remediation/planners.hpp"
#include "test_files.hpp"

using namespace netdiag;

using netdiag::test::slurp;

TEST_CASE("completion scripts know every subcommand and flag", "[completions]") {
    const auto cli = make_cli();
    for (const char* script : {"completions/netdiag.bash", "completions/_netdiag", "completions/netdiag.fish"}) {
        const std::string text = slurp(std::string(NETDIAG_SOURCE_DIR) + "/" + script);
        INFO(script);
        REQUIRE_FALSE(text.empty());
        for (const auto* command : cli->app.get_subcommands({})) {
            INFO("subcommand " << command->get_name());
            CHECK(text.find(command->get_name()) != std::string::npos);
            for (const auto* option : command->get_options()) {
                for (const auto& name : option->get_lnames()) {
                    INFO("--" << name);
                    // fish spells long options without their dashes: `-l forks`.
                    const bool fish = std::string(script).find("fish") != std::string::npos;
                    CHECK(text.find(fish ? " -l " + name : "--" + name) != std::string::npos);
                }
            }
        }
    }
}

namespace {

// `word` as a whole word: "time-wait" is not found inside "time-wait-overflow".
bool has_word(const std::string& text, const std::string& word) {
    auto is_word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'; };
    for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
        const bool starts = at == 0 || !is_word_char(text[at - 1]);
        const auto end = at + word.size();
        const bool ends = end == text.size() || !is_word_char(text[end]);
        if (starts && ends) return true;
    }
    return false;
}

}  // namespace

TEST_CASE("completion scripts know every check, threshold and fix", "[completions]") {
    const Settings settings = default_settings();
    for (const char* script : {"completions/netdiag.bash", "completions/_netdiag", "completions/netdiag.fish"}) {
        const std::string text = slurp(std::string(NETDIAG_SOURCE_DIR) + "/" + script);
        INFO(script);
        for (const auto& check : catalogue()) {
            INFO("check " << check.id);
            CHECK(has_word(text, std::string(check.id)));
        }
        for (const auto& [key, value] : settings.thresholds) {
            INFO("threshold " << key);
            CHECK(has_word(text, key));
        }
        for (const auto& fixer : fixer_catalogue()) {
            INFO("fix " << fixer.id);
            CHECK(has_word(text, fixer.id));
        }
    }
}
