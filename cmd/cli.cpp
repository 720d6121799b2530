#include <exception>

#include <fmt/format.h>

#include "cmd/commands.hpp"
#include "common/exit_codes.hpp"
#include "report/build_info.hpp"

namespace netdiag {

std::unique_ptr<Cli> make_cli() {
    auto cli = std::make_unique<Cli>();
    cli->app.set_version_flag("--version", version_text());
    cli->app.require_subcommand(1);
    cli->app.footer(exit_code::kHelpText);
    add_scan_command(*cli);
    add_collect_command(*cli);
    add_checks_command(*cli);
    add_fix_command(*cli);
    add_undo_command(*cli);
    add_rules_command(*cli);
    return cli;
}

int run_cli(int argc, const char* const* argv) {
    auto cli = make_cli();
    try {
        cli->app.parse(argc, argv);
    } catch (const CLI::Success& done) {  // --help, --version
        return cli->app.exit(done);
    } catch (const CLI::ParseError& error) {
        cli->app.exit(error);
        return exit_code::kUsage;
    }
    try {
        if (cli->scan_command->parsed()) return run_scan(cli->scan);
        if (cli->collect_command->parsed()) return run_collect(cli->collect);
        if (cli->checks_command->parsed()) return run_checks(cli->checks);
        if (cli->fix_command->parsed()) return run_fix(cli->fix);
        if (cli->undo_command->parsed()) return run_undo(cli->undo);
        if (cli->rules_command->parsed()) return run_rules(cli->rules);
    } catch (const std::exception& error) {
        fmt::print(stderr, "netdiag: internal error: {}\n", error.what());
        return exit_code::kInternal;
    }
    return exit_code::kUsage;
}

}  // namespace netdiag
