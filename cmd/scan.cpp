// netdiag scan: sample the local host (or a captured tree, or saved snapshots) and report findings.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <variant>

#include <fmt/format.h>

#include "common/json_text.hpp"
#include "report/bars.hpp"
#include "report/build_info.hpp"
#include "cmd/commands.hpp"
#include "cmd/fleet_options.hpp"
#include "cmd/interrupt.hpp"
#include "cmd/settings_options.hpp"
#include "collect/snapshot_json.hpp"
#include "common/clock.hpp"
#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "prometheus/http_config.hpp"
#include "prometheus/prometheus_scan.hpp"
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
    scan->add_flag("--list-hosts", options.list_hosts,
                   "Print the hosts the inventory, -H and --limit select and how each is reached; connect to none");
    auto* prometheus =
        scan->add_option("--prometheus", options.prometheus_url,
                         "Judge node_exporter instances from this Prometheus (HTTP API) instead of sampling hosts")
            ->type_name("URL");
    scan->add_option("--prometheus-config", options.prometheus_config,
                     "Prometheus http_config file: basic_auth, authorization (bearer token file), tls_config")
        ->type_name("FILE")
        ->check(CLI::ExistingFile)
        ->needs(prometheus);
    scan->add_option("--window", options.window, "With --prometheus: the span rates are taken over")
        ->type_name("DURATION")
        ->capture_default_str()
        ->needs(prometheus);
    scan->add_option("--at", options.at, "With --prometheus: judge the fleet as it was then (RFC 3339 or Unix time)")
        ->type_name("TIME")
        ->needs(prometheus);
    scan->add_option("--match", options.match, "With --prometheus: a label selector for the instances: '{job=\"node\"}'")
        ->type_name("SELECTOR")
        ->needs(prometheus);
    for (const char* remote : {"inventory", "--hosts"}) {
        scan->get_option(remote)->excludes(scan->get_option("--root"))->excludes(from);
    }
    prometheus->excludes(scan->get_option("--root"))->excludes(from)->excludes(scan->get_option("--hosts"));
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

namespace {

// --prometheus: the instances' verdicts, or the exit code of a scan that could not run.
std::variant<std::vector<HostResult>, int> scan_from_prometheus(const ScanOptions& options, const Settings& settings,
                                                                bool terminal, bool& interrupted) {
    const auto usage = [](const std::string& message) {
        fmt::print(stderr, "netdiag: {}\n", message);
        return exit_code::kUsage;
    };
    auto endpoint = parse_http_url(*options.prometheus_url);
    if (!endpoint) return usage(endpoint.error().message);
    PrometheusClient client;
    client.http.endpoint = *endpoint;
    client.http.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.fleet.command_timeout * 1000));
    if (options.prometheus_config) {
        auto text = read_text_file(*options.prometheus_config);
        auto access = text ? parse_http_config(*text, *options.prometheus_config, read_text_file)
                           : Result<PrometheusAccess>(text.error());
        if (!access) {
            fmt::print(stderr, "netdiag: {}\n", access.error().message);
            return exit_code::kDataError;
        }
        client.http.authorization = access->authorization;
        client.http.tls = access->tls;
    }
    PrometheusScanOptions scan_options;
    auto window = parse_prometheus_duration(options.window);
    if (!window) return usage(window.error().message);
    scan_options.window_seconds = *window;
    scan_options.at_unix_seconds = static_cast<double>(now_unix_ms()) / 1000.0;
    if (options.at) {
        auto at = parse_time_argument(*options.at);
        if (!at) return usage(at.error().message);
        scan_options.at_unix_seconds = *at;
    }
    if (options.match) {
        auto matchers = parse_match_selector(*options.match);
        if (!matchers) return usage(matchers.error().message);
        scan_options.matchers = *matchers;
    }
    if (options.fleet.inventory) {
        // The inventory's hosts (after --limit) are the instances to judge.
        int plan_exit = exit_code::kDataError;
        auto plan = build_fleet_plan(options.fleet, settings, &plan_exit);
        if (!plan) {
            fmt::print(stderr, "netdiag: {}\n", plan.error().message);
            return plan_exit;
        }
        std::vector<PrometheusScanOptions::Wanted> wanted;
        for (const auto& target : plan->targets) wanted.push_back({target.instance.value_or(target.name), target.settings});
        scan_options.wanted = std::move(wanted);
    } else {
        scan_options.limit = options.fleet.limit;
    }
    InterruptWatch watch;
    client.http.cancelled = &watch.stop();
    if (terminal) {
        fmt::print(stderr, "netdiag: asking {}...", endpoint->url());
        std::fflush(stderr);
    }
    auto hosts = scan_prometheus(client, scan_options, settings, watch.stop(), [&](std::size_t done, std::size_t total) {
        if (terminal) {
            fmt::print(stderr, "\r\033[2Knetdiag: [{}/{}] instances judged", done, total);
            std::fflush(stderr);
        }
    });
    if (terminal) fmt::print(stderr, "\r\033[2K");
    interrupted = watch.interrupted();
    if (interrupted) return exit_code::kInterrupted;
    if (!hosts) {
        fmt::print(stderr, "netdiag: {}\n", hosts.error().message);
        return exit_code::kUnavailable;
    }
    return std::move(hosts).value();
}

}  // namespace

int run_scan(const ScanOptions& options) {
    int settings_exit = exit_code::kUsage;
    auto settings = build_settings(options.settings, &settings_exit);
    if (!settings) {
        fmt::print(stderr, "netdiag: {}\n", settings.error().message);
        return settings_exit;
    }

    if (options.list_hosts) return print_host_list(options.fleet, *settings, options.json || options.format == "json");

    ScanReport report;
    bool interrupted = false;
    const auto interval = std::chrono::milliseconds(static_cast<std::int64_t>(options.interval_seconds * 1000));
    if (options.prometheus_url) {
        auto judged = scan_from_prometheus(options, *settings, options.progress && stderr_is_terminal(), interrupted);
        if (interrupted) {
            fmt::print(stderr, "netdiag: interrupted\n");
            return exit_code::kInterrupted;
        }
        if (const int* code = std::get_if<int>(&judged)) return *code;
        report.hosts = std::move(std::get<std::vector<HostResult>>(judged));
    } else if (!options.from_files.empty()) {
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
        rendered = json_text(with_build_info(render_json(report))) + "\n";
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
        table.pictures = table.color;  // where people read it; never in what a script parses
        table.unicode = utf8_locale();
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
