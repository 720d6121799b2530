// Drift guard: every subcommand and long flag the parser knows appears in each completion script.
// (tests/e2e/completions.sh checks that the shells really complete them.)
#include <catch2/catch.hpp>


#include "cmd/commands.hpp"
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
