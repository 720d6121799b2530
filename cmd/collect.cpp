// netdiag collect: print raw snapshots as JSON (netdiag.collect/v1), to be checked later with scan --from.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "common/json_text.hpp"
#include "report/build_info.hpp"
#include "cmd/commands.hpp"
#include "cmd/settings_options.hpp"
#include "collect/snapshot_json.hpp"
#include "common/exit_codes.hpp"
#include "remote/local_transport.hpp"
#include "scan/scan_host.hpp"

namespace netdiag {

void add_collect_command(Cli& cli) {
    auto& options = cli.collect;
    auto* collect = cli.app.add_subcommand("collect", "Print the host's counters as a JSON snapshot");
    cli.collect_command = collect;
    add_root_option(*collect, options.root, "Read a captured tree (DIR/proc, DIR/sys) instead of this host");
    add_interval_option(*collect, options.interval_seconds, "Take a second sample this many seconds later");
    collect->add_option("-n,--count", options.count,
                        "Take this many samples, --interval apart (default: 1, or 2 with an interval)")
        ->type_name("N")
        ->check(CLI::Range(1, 100000));
    collect->add_option("-o,--output", options.output, "Write to FILE (whole or not at all) instead of stdout")
        ->type_name("FILE");
    collect->footer(exit_code::kHelpText);
}

int run_collect(const CollectOptions& options) {
    const std::string host = options.root ? *options.root : "localhost";
    LocalTransport transport(options.root.value_or("/"));
    const auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(options.interval_seconds * 1000));
    const int count = options.count.value_or(interval.count() > 0 ? 2 : 1);
    auto samples = take_sample_series(transport, host, count, interval, sleep_for);
    if (!samples) {
        fmt::print(stderr, "netdiag: {}: {}\n", host, samples.error().message);
        return exit_code::kUnknown;
    }
    const std::string document = json_text(with_build_info(collect_document(*samples)), 1) + "\n";
    if (auto written = write_output(options.output, document); !written) {
        fmt::print(stderr, "netdiag: {}\n", written.error().message);
        return exit_code::kCannotWrite;
    }
    return exit_code::kOk;
}

}  // namespace netdiag
