// netdiag scan: sample the local host (or a captured tree, or saved snapshots) and report findings.
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "common/json_text.hpp"
#include "cmd/commands.hpp"
#include "cmd/fleet_options.hpp"
#include "cmd/interrupt.hpp"
#include "cmd/settings_options.hpp"
#include "collect/snapshot_json.hpp"
#include "common/clock.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "scan/scan_host.hpp"

namespace netdiag {
namespace {

Result<std::vector<Snapshot>> load_samples(const std::vector<std::string>& files) {
    std::vector<Snapshot> samples;
    for (const auto& file : files) {
        auto text = read_text_file(file);
        if (!text) return text.error();
        auto loaded = parse_collect_document(*text, file);
        if (!loaded) return loaded.error();
        for (auto& sample : *loaded) samples.push_back(std::move(sample));
    }
    for (const auto& sample : samples) {
        if (sample.host != samples.front().host) {
            return make_error(fmt::format("{}: samples are of different hosts (\"{}\" and \"{}\")", files.back(),
                                          samples.front().host, sample.host));
        }
    }
    return samples;
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace

void add_scan_command(Cli& cli) {
    auto& options = cli.scan;
    auto* scan = cli.app.add_subcommand("scan", "Sample the host twice, run every check and report what is wrong");
    cli.scan_command = scan;
    add_root_option(*scan, options.root, "Scan a captured tree (DIR/proc, DIR/sys) instead of this host");
    add_interval_option(*scan, options.interval_seconds,
                        "Seconds between the two samples; 0 takes one sample and runs only level checks");
    auto* from = scan->add_option("--from", options.from_files,
                                  "Check saved `netdiag collect` output instead of sampling (one or two files)")
                     ->type_name("FILE")
                     ->expected(1, 2)
                     ->check(CLI::ExistingFile);
    scan->add_option("--format", options.format,
                     "Output format; prometheus is text for node_exporter's textfile collector")
        ->check(CLI::IsMember({"table", "json", "nagios", "prometheus"}))
        ->capture_default_str();
    scan->add_option("-o,--output", options.output, "Write the report to FILE (whole or not at all) instead of stdout")
        ->type_name("FILE");
    scan->add_flag("--json", options.json, "Same as --format json");
    scan->add_option("--color", options.color, "Color the table")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    scan->add_flag("-v,--verbose", options.verbose, "Also list the files that could not be read");
    scan->add_flag("--detail", options.detail, "With several hosts: each host's findings after the summary");
    scan->add_flag("--no-progress{false}", options.progress, "No progress line on stderr");
    add_settings_flags(*scan, options.settings);
    add_fleet_flags(*scan, options.fleet);
    for (const char* remote : {"inventory", "--hosts"}) {
        scan->get_option(remote)->excludes(scan->get_option("--root"))->excludes(from);
    }
    from->excludes(scan->get_option("--root"));
    scan->footer(exit_code::kHelpText);
}

namespace {

// "[ 37/120] 2 failed, 12.4 s" on one terminal line, rewritten as hosts finish.
class Progress {
public:
    // `counts`: show hosts done of total; otherwise only clear the line at the end.
    Progress(bool enabled, std::size_t total, bool counts) : enabled_(enabled), counts_(counts), total_(total) {}
    void update(std::size_t done, std::size_t failed) {
        if (!enabled_ || !counts_) return;
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        fmt::print(stderr, "\r\033[2Knetdiag: [{}/{}] {} failed, {:.1f} s", done, total_, failed, elapsed);
        std::fflush(stderr);
    }
    ~Progress() {
        if (enabled_) fmt::print(stderr, "\r\033[2K");
    }

private:
    bool enabled_, counts_;
    std::size_t total_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace

int run_scan(const ScanOptions& options) {
    int settings_exit = exit_code::kUsage;
    auto settings = build_settings(options.settings, &settings_exit);
    if (!settings) {
        fmt::print(stderr, "netdiag: {}\n", settings.error().message);
        return settings_exit;
    }

    ScanReport report;
    bool interrupted = false;
    const auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(options.interval_seconds * 1000));
    if (!options.from_files.empty()) {
        auto samples = load_samples(options.from_files);
        if (!samples) {
            fmt::print(stderr, "netdiag: {}\n", samples.error().message);
            return exit_code::kDataError;
        }
        report.hosts.push_back(evaluate_samples(*samples, *settings));
    } else {
        int hosts_exit = exit_code::kDataError;
        auto hosts = HostSet::resolve(options.fleet, options.root, *settings, &hosts_exit);
        if (!hosts) {
            fmt::print(stderr, "netdiag: {}\n", hosts.error().message);
            return hosts_exit;
        }
        const auto& targets = (*hosts)->targets();
        FleetOptions fleet_options;
        fleet_options.forks = (*hosts)->forks();
        fleet_options.interval = interval;
        const bool terminal = options.progress && stderr_is_terminal();
        if (terminal && !(*hosts)->remote() && interval.count() > 0) {
            fmt::print(stderr, "netdiag: sampling {} twice, {:g} s apart...", printable(targets.front().name),
                       options.interval_seconds);
            std::fflush(stderr);
        }
        {
            Progress progress(terminal, targets.size(), (*hosts)->remote());
            InterruptWatch watch;
            (*hosts)->stop_on(&watch.stop());
            report.hosts = scan_fleet(targets, (*hosts)->connector(), fleet_options, watch.stop(),
                                      [&](const HostResult&, std::size_t done, std::size_t failed) {
                                          progress.update(done, failed);
                                      });
            interrupted = watch.interrupted();
            (*hosts)->stop_on(nullptr);
        }
        if (options.root && report.hosts.back().status != "ok" && !interrupted) {
            fmt::print(stderr, "netdiag: {}: not a captured host tree: {}\n", printable(*options.root),
                       printable(report.hosts.back().error));
            return exit_code::kDataError;
        }
    }
    report.generated_at_unix_ms = now_unix_ms();

    const std::string format = options.json ? "json" : options.format;
    std::string rendered;
    if (format == "json") {
        rendered = json_text(render_json(report)) + "\n";
    } else if (format == "nagios") {
        rendered = render_nagios(report);
    } else if (format == "prometheus") {
        rendered = render_prometheus(report);
    } else {
        TableOptions table;
        table.color = options.color == "always" ||
                      (options.color == "auto" && !options.output && ::isatty(STDOUT_FILENO) == 1 &&
                       std::getenv("NO_COLOR") == nullptr);
        table.verbose = options.verbose;
        table.detail = options.detail;
        rendered = render_table(report, table);
    }
    if (options.output && interrupted) {
        // An interrupted scan reports unfinished hosts as failed: no file for alerts to act on.
        fmt::print(stderr, "netdiag: interrupted; {} left as it was\n", *options.output);
    } else if (auto written = write_output(options.output, rendered); !written) {
        // With -o, a textfile collector or a cron job's reader sees the previous report or this one.
        fmt::print(stderr, "netdiag: {}\n", written.error().message);
        return exit_code::kCannotWrite;
    }
    if (interrupted) {
        fmt::print(stderr, "netdiag: interrupted; hosts not finished are reported as such\n");
        return exit_code::kInterrupted;
    }
    return scan_exit_code(report);
}

}  // namespace netdiag
