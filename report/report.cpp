#include "report/report.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "common/exit_codes.hpp"
#include "common/text.hpp"
#include "report/bars.hpp"

namespace netdiag {
namespace {

struct Counts {
    int critical = 0, warning = 0, unknown = 0, info = 0, failed_hosts = 0;
    int partly_checked_hosts = 0;  // reached, but a file some check needed did not parse
};

Counts count(const ScanReport& report) {
    Counts counts;
    for (const auto& host : report.hosts) {
        if (host.status != "ok") ++counts.failed_hosts;
        if (host.status == "ok" && !host.unparsable.empty()) ++counts.partly_checked_hosts;
        for (const auto& finding : host.findings) {
            switch (finding.severity) {
                case Severity::critical: ++counts.critical; break;
                case Severity::warning: ++counts.warning; break;
                case Severity::unknown: ++counts.unknown; break;
                case Severity::info: ++counts.info; break;
            }
        }
    }
    return counts;
}

std::vector<const Finding*> all_findings_worst_first(const ScanReport& report) {
    std::vector<const Finding*> findings;
    for (const auto& host : report.hosts) {
        for (const auto& finding : host.findings) findings.push_back(&finding);
    }
    std::stable_sort(findings.begin(), findings.end(),
                     [](const Finding* a, const Finding* b) { return a->severity > b->severity; });
    return findings;
}

std::string with_unit(double value, const std::string& unit) {
    if (unit.empty()) return format_value(value);
    if (unit == "%" || unit == "/s") return format_value(value) + unit;
    return format_value(value) + " " + unit;
}

std::string iso8601(std::int64_t unix_ms) {
    const std::time_t seconds = unix_ms / 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                       utc.tm_hour, utc.tm_min, utc.tm_sec);
}

std::string colored(std::string_view text, Severity severity, bool color) {
    if (!color) return std::string(text);
    const char* code = severity == Severity::critical  ? "\033[1;31m"
                       : severity == Severity::warning ? "\033[33m"
                       : severity == Severity::unknown ? "\033[35m"
                                                       : "\033[36m";
    return fmt::format("{}{}\033[0m", code, text);
}

std::string upper(std::string_view text) {
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) { return std::toupper(c); });
    return result;
}

}  // namespace

std::string format_value(double value) {
    if (std::fabs(value) >= 1e6) return fmt::format("{:.1f}M", value / 1e6);
    if (std::fabs(value) >= 1e4) return fmt::format("{:.1f}k", value / 1e3);
    if (value == std::floor(value)) return fmt::format("{:.0f}", value);
    return fmt::format("{:.1f}", value);
}

int scan_exit_code(const ScanReport& report) {
    const Counts counts = count(report);
    if (counts.critical > 0) return exit_code::kCritical;
    if (counts.failed_hosts > 0 || counts.partly_checked_hosts > 0) return exit_code::kUnknown;
    if (counts.warning > 0) return exit_code::kWarning;
    return exit_code::kOk;
}

namespace {

// One row per finding with its explanation: what a single host's scan shows.
// Under an rx-drops finding: where NET_RX softirqs ran, CPU by CPU, with the NIC's queue IRQs.
std::string rx_drops_picture(const Finding& f, const BarStyle& style) {
    const auto shares = f.details.find("net_rx_share");
    if (f.check != "rx-drops" || shares == f.details.end()) return "";
    const auto irqs = f.details.find("irqs");
    return fmt::format("    NET_RX softirqs by CPU{}:\n", irqs == f.details.end() ? "" : ", and the NIC's queue IRQs") +
           cpu_share_chart(parse_shares(shares->second),
                           irqs == f.details.end() ? std::map<std::string, std::vector<std::string>>()
                                                   : parse_irq_placement(irqs->second),
                           style, "      ");
}

// `pictures`: null for none.
std::string findings_table(const std::vector<const Finding*>& findings, bool color, const BarStyle* pictures) {
    std::vector<std::array<std::string, 6>> rows;
    rows.push_back({"SEVERITY", "HOST", "CHECK", "SUBJECT", "VALUE", "THRESHOLD"});
    for (const auto* f : findings) {
        rows.push_back({upper(severity_name(f->severity)), printable(f->host), printable(f->check),
                        printable(f->subject),
                        f->severity == Severity::unknown ? "unknown" : with_unit(f->value, f->unit),
                        f->threshold ? with_unit(*f->threshold, f->unit) : "-"});
    }
    std::array<std::size_t, 6> widths{};
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::string line;
        for (std::size_t i = 0; i < rows[r].size(); ++i) {
            std::string cell = i + 1 < rows[r].size() ? fmt::format("{:<{}}  ", rows[r][i], widths[i]) : rows[r][i];
            if (i == 0 && r > 0) cell = colored(cell, findings[r - 1]->severity, color);
            line += cell;
        }
        out += line + "\n";
        if (r == 0) continue;
        const Finding& f = *findings[r - 1];
        out += fmt::format("    {}\n", printable(f.message));
        out += fmt::format("    why: {}\n", printable(f.why));
        out += fmt::format("    do:  {}\n", printable(f.action));
        if (pictures) out += rx_drops_picture(f, *pictures);
    }
    return out;
}

// With --detail: each host's physical interfaces, the busier direction against the link speed.
std::string throughput_pictures(const ScanReport& report, const BarStyle& style) {
    std::string out;
    for (const auto& host : report.hosts) {
        if (host.interface_load.empty()) continue;
        out += fmt::format("\nThroughput against link speed on {}:\n", printable(host.host));
        std::size_t width = 0;
        for (const auto& load : host.interface_load) width = std::max(width, printable(load.name).size());
        for (const auto& load : host.interface_load) {
            const double busier = std::max(load.rx_bits_per_second, load.tx_bits_per_second);
            const auto rates = fmt::format("rx {}b/s, tx {}b/s", format_value(load.rx_bits_per_second),
                                           format_value(load.tx_bits_per_second));
            if (!load.speed_mbps || *load.speed_mbps <= 0) {
                out += fmt::format("  {:<{}} {:<{}}  speed unknown ({})\n", printable(load.name), width, "",
                                   style.width, rates);
                continue;
            }
            const double fraction = busier / (static_cast<double>(*load.speed_mbps) * 1e6);
            const auto drawn = bar(fraction, style);
            const std::size_t drawn_width = display_width(drawn);
            const auto speed = *load.speed_mbps >= 1000 ? fmt::format("{:g} Gb/s", static_cast<double>(*load.speed_mbps) / 1000)
                                                        : fmt::format("{} Mb/s", *load.speed_mbps);
            out += fmt::format("  {:<{}} {}{}{:>5.1f}% of {} ({})\n", printable(load.name), width, drawn,
                               std::string(static_cast<std::size_t>(style.width) + 1 - std::min<std::size_t>(drawn_width, style.width + 1), ' '),
                               fraction * 100, speed, rates);
        }
    }
    return out;
}

// Across hosts: each check and severity once, with how many hosts and which, worst first.
std::string fleet_summary(const std::vector<const Finding*>& findings, bool color) {
    struct Group {
        Severity severity;
        std::string check;
        std::vector<std::string> hosts;
        const Finding* example;
    };
    std::vector<Group> groups;
    for (const auto* f : findings) {
        auto group = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
            return g.check == f->check && g.severity == f->severity;
        });
        if (group == groups.end()) {
            groups.push_back({f->severity, f->check, {}, f});
            group = groups.end() - 1;
        }
        if (std::find(group->hosts.begin(), group->hosts.end(), f->host) == group->hosts.end()) {
            group->hosts.push_back(f->host);
        }
    }
    std::stable_sort(groups.begin(), groups.end(), [](const Group& a, const Group& b) {
        if (a.severity != b.severity) return a.severity > b.severity;
        return a.hosts.size() > b.hosts.size();
    });
    std::size_t check_width = 5;
    for (const auto& g : groups) check_width = std::max(check_width, g.check.size());
    std::string out = fmt::format("{:<8}  {:<{}}  {:>5}  {}\n", "SEVERITY", "CHECK", check_width, "HOSTS", "WHICH");
    for (const auto& g : groups) {
        std::string which;
        for (std::size_t i = 0; i < g.hosts.size() && i < 8; ++i) {
            if (i > 0) which += ',';  // piecewise: GCC 12 at -O3 warns falsely on "literal" + std::string&&
            which += printable(g.hosts[i]);
        }
        if (g.hosts.size() > 8) which += fmt::format(",... (+{})", g.hosts.size() - 8);
        out += fmt::format("{}  {:<{}}  {:>5}  {}\n", colored(fmt::format("{:<8}", upper(severity_name(g.severity))),
                                                              g.severity, color),
                           printable(g.check), check_width, g.hosts.size(), which);
        out += fmt::format("    e.g. {}: {}\n    do:  {}\n", printable(g.example->host), printable(g.example->message),
                           printable(g.example->action));
    }
    return out;
}

}  // namespace

std::string render_table(const ScanReport& report, const TableOptions& options) {
    std::string out;
    const Counts counts = count(report);
    const auto findings = all_findings_worst_first(report);
    const bool fleet = report.hosts.size() > 1;
    BarStyle style;
    style.unicode = options.unicode;

    out += fmt::format("netdiag scan: {} host(s): {} critical, {} warning, {} unknown", report.hosts.size(),
                       counts.critical, counts.warning, counts.unknown);
    if (counts.failed_hosts > 0) out += fmt::format(", {} host(s) not checked", counts.failed_hosts);
    if (counts.partly_checked_hosts > 0) {
        out += fmt::format(", {} host(s) not fully checked", counts.partly_checked_hosts);
    }
    out += "\n";
    for (const auto& host : report.hosts) {
        if (host.status != "ok") {
            out += fmt::format("{}: {}: {}\n", printable(host.host), printable(host.status), printable(host.error));
            continue;
        }
        for (const auto& [file, error] : host.unparsable) {
            out += fmt::format("{}: does not parse: {}\n", printable(host.host), printable(error));
        }
        if (!host.interval_seconds && !fleet) {
            out += fmt::format("{}: one sample: rate checks skipped (use --interval > 0 for them)\n",
                               printable(host.host));
        }
    }
    // Checks a source could not answer (a Prometheus instance's node_exporter lacks their data): said
    // once for the fleet, each host's reasons with --verbose.
    std::map<std::string, std::size_t> not_checked;
    std::size_t hosts_not_checked = 0;
    for (const auto& host : report.hosts) {
        for (const auto& [check, reason] : host.not_checked) ++not_checked[check];
        if (!host.not_checked.empty()) ++hosts_not_checked;
    }
    if (!not_checked.empty()) {
        std::string ids;
        for (const auto& [check, hosts] : not_checked) ids += fmt::format("{}{}", ids.empty() ? "" : ", ", check);
        out += fmt::format("not checked on {} host(s), their data is not available: {}{}\n", hosts_not_checked, ids,
                           options.verbose ? "" : " (--verbose says why)");
    }
    if (findings.empty()) {
        out += counts.failed_hosts > 0 ? "\nNo findings on the hosts that were checked.\n" : "\nNo findings: all clear.\n";
    } else if (fleet) {
        // Appended piecewise: GCC 12 at -O3 warns falsely (-Wrestrict) on "literal" + std::string&&.
        out += '\n';
        out += fleet_summary(findings, options.color);
        if (options.detail) {
            out += '\n';
            out += findings_table(findings, options.color, options.pictures ? &style : nullptr);
        }
    } else {
        out += '\n';
        out += findings_table(findings, options.color, options.pictures ? &style : nullptr);
    }
    if (options.pictures && options.detail) out += throughput_pictures(report, style);
    if (options.verbose) {
        for (const auto& host : report.hosts) {
            if (host.not_checked.empty()) continue;
            out += fmt::format("\nNot checked on {}:\n", printable(host.host));
            for (const auto& [check, reason] : host.not_checked) {
                out += fmt::format("    {}: {}\n", printable(check), printable(reason));
            }
        }
        for (const auto& host : report.hosts) {
            if (host.unavailable.empty()) continue;
            out += fmt::format("\nNot available on {}:\n", printable(host.host));
            for (const auto& [file, reason] : host.unavailable) {
                out += fmt::format("    {}: {}\n", printable(file), printable(reason));
            }
        }
    }
    return out;
}

nlohmann::json render_json(const ScanReport& report) {
    const Counts counts = count(report);
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto& host : report.hosts) {
        nlohmann::json findings = nlohmann::json::array();
        for (const auto& f : host.findings) {
            findings.push_back({
                {"check", f.check},
                {"severity", severity_name(f.severity)},
                {"host", f.host},
                {"subject", f.subject},
                {"value", f.severity == Severity::unknown ? nlohmann::json() : nlohmann::json(f.value)},
                {"unit", f.unit},
                {"threshold", f.threshold ? nlohmann::json(*f.threshold) : nlohmann::json()},
                {"message", f.message},
                {"why", f.why},
                {"action", f.action},
                {"cause", f.cause ? nlohmann::json(*f.cause) : nlohmann::json()},
                {"fix", f.fix ? nlohmann::json(*f.fix) : nlohmann::json()},
                {"details", f.details},
            });
        }
        hosts.push_back({
            {"host", host.host},
            {"status", host.status},
            {"error", host.error.empty() ? nlohmann::json() : nlohmann::json(host.error)},
            {"hostname", host.hostname ? nlohmann::json(*host.hostname) : nlohmann::json()},
            {"kernel_release", host.kernel_release ? nlohmann::json(*host.kernel_release) : nlohmann::json()},
            {"interval_seconds", host.interval_seconds ? nlohmann::json(*host.interval_seconds) : nlohmann::json()},
            {"findings", std::move(findings)},
            {"unavailable", host.unavailable},
            {"unparsable", host.unparsable},
        });
        if (!host.source.empty()) hosts.back()["source"] = host.source;
        if (!host.not_checked.empty()) hosts.back()["not_checked"] = host.not_checked;
    }
    return {
        {"schema", kScanSchema},
        {"generated_at", iso8601(report.generated_at_unix_ms)},
        {"exit_code", scan_exit_code(report)},
        {"summary",
         {{"hosts", report.hosts.size()},
          {"hosts_not_checked", counts.failed_hosts},
          {"hosts_not_fully_checked", counts.partly_checked_hosts},
          {"critical", counts.critical},
          {"warning", counts.warning},
          {"unknown", counts.unknown},
          {"info", counts.info}}},
        {"hosts", std::move(hosts)},
    };
}

namespace {

// Host text on the Nagios status line: printable, and no '|', which would start the performance data.
std::string nagios_text(std::string_view text) {
    std::string out;
    for (const char c : printable(text)) {
        if (c == '|') {
            out += "\\x7c";
        } else {
            out += c;
        }
    }
    return out;
}

// A performance-data label goes in single quotes; a quote inside is doubled (plugin guidelines).
std::string nagios_label(std::string_view text) {
    std::string out;
    for (const char c : nagios_text(text)) {
        out += c;
        if (c == '\'') out += '\'';
    }
    return out;
}

}  // namespace

std::string render_nagios(const ScanReport& report) {
    const int code = scan_exit_code(report);
    static constexpr const char* kStatus[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    const Counts counts = count(report);
    const auto findings = all_findings_worst_first(report);

    std::string text;
    if (findings.empty() && counts.failed_hosts == 0) {
        text = fmt::format("{} host(s), no findings", report.hosts.size());
    } else {
        text = fmt::format("{} critical, {} warning", counts.critical, counts.warning);
        if (counts.failed_hosts > 0) text += fmt::format(", {} host(s) not checked", counts.failed_hosts);
        if (counts.partly_checked_hosts > 0) {
            text += fmt::format(", {} host(s) not fully checked", counts.partly_checked_hosts);
        }
        std::string items;
        for (const auto* f : findings) {
            if (f->severity < Severity::warning) continue;
            if (!items.empty()) items += "; ";
            items += fmt::format("{} {} {} on {}", nagios_text(f->check), nagios_text(f->subject),
                                 with_unit(f->value, f->unit), nagios_text(f->host));
        }
        for (const auto& host : report.hosts) {
            if (host.status == "ok") continue;
            if (!items.empty()) items += "; ";
            items += fmt::format("{} {}", nagios_text(host.host), nagios_text(host.status));
        }
        for (const auto& host : report.hosts) {
            for (const auto& [file, error] : host.unparsable) {
                if (!items.empty()) items += "; ";
                items += fmt::format("{}: {}", nagios_text(host.host), nagios_text(error));
            }
        }
        if (!items.empty()) text += ": " + items;
    }
    // Performance data: 'label'=value[UOM];warn;crit, one per finding with a value.
    std::string perf;
    for (const auto* f : findings) {
        if (f->severity == Severity::unknown) continue;
        const std::string uom = f->unit == "%" ? "%" : "";
        const std::string limit = f->threshold ? fmt::format("{:.6g}", *f->threshold) : "";
        perf += fmt::format(" '{} {} {}'={:.6g}{};{};{}", nagios_label(f->host), nagios_label(f->check),
                            nagios_label(f->subject), f->value, uom,
                            f->severity == Severity::warning ? limit : "",
                            f->severity == Severity::critical ? limit : "");
    }
    perf += fmt::format(" findings={} hosts_not_checked={}", findings.size(), counts.failed_hosts);
    return fmt::format("NETDIAG {} - {} |{}\n", kStatus[code], text, perf);
}

namespace {

// The length of the UTF-8 sequence at text[i] as Go's decoder accepts it (no overlong forms, no
// surrogates, nothing past U+10FFFF), or 0 if it is not one.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    const unsigned lead = byte(0);
    const std::size_t length = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                             : lead >= 0xF0 && lead <= 0xF4                ? 4
                                                                           : 0;
    if (length == 0 || i + length > text.size()) return 0;
    std::uint32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(k) & 0xC0) != 0x80) return 0;
        code = (code << 6) | (byte(k) & 0x3F);
    }
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return length;
}

// A label value in the text exposition format: backslash, double quote and newline escaped (the
// format's only escapes), and bytes that are not UTF-8 (an interface or directory name may hold
// any) replaced, since node_exporter rejects the whole file over one invalid label. Other control
// characters (C0, DEL, C1) are replaced too: they cannot be escaped, and the file is read on
// terminals as well.
std::string label_value(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_sequence(text, i);
        if (length == 0) {
            escaped += "\xEF\xBF\xBD";  // U+FFFD for each byte that is not UTF-8
            ++i;
            continue;
        }
        const char c = text[i];
        const auto byte = static_cast<unsigned char>(c);
        const bool control = (length == 1 && (byte < 0x20 || byte == 0x7f)) ||
                             (length == 2 && byte == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0);
        if (c == '\\' || c == '"') escaped += '\\';
        if (c == '\n') {
            escaped += "\\n";
        } else if (control) {
            escaped += "\xEF\xBF\xBD";
        } else {
            escaped.append(text.substr(i, length));
        }
        i += length;
    }
    return escaped;
}

// A sample value as Prometheus parses it (Go's ParseFloat: "NaN", "+Inf", "-Inf").
std::string sample_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", value);
}

}  // namespace

std::string render_prometheus(const ScanReport& report) {
    struct Family {
        std::string_view name, help;
        std::vector<std::string> samples;
    };
    // Every series names its host, so files from scans of different hosts never collide in one
    // textfile directory.
    Family up{"netdiag_host_up", "1 if the host was sampled and checked, 0 if not (netdiag_host_status says why).", {}};
    Family status{"netdiag_host_status",
                  "1 for the host's outcome: ok, unreachable, auth_failed, host_key_changed, timeout or error.", {}};
    Family timestamp{"netdiag_scan_timestamp_seconds", "When the scan of the host ended, in seconds since the epoch.", {}};
    Family counts{"netdiag_findings", "Findings on the host by severity.", {}};
    Family severity{"netdiag_finding_severity",
                    "A check's finding on a subject: 2 critical, 1 warning, 0 unknown (the check could not decide).",
                    {}};
    Family value{"netdiag_finding_value", "What the check observed, in the unit the label names.", {}};
    Family threshold{"netdiag_finding_threshold", "The limit the observed value crossed, in the same unit.", {}};
    Family unparsable{"netdiag_unparsable_file",
                      "1 for a file that exists but does not parse, so the checks that need it could not decide "
                      "(line: where it stopped).",
                      {}};

    const auto finished = sample_value(static_cast<double>(report.generated_at_unix_ms) / 1000.0);
    for (const auto& host : report.hosts) {
        const auto host_label = fmt::format("host=\"{}\"", label_value(host.host));
        up.samples.push_back(fmt::format("{{{}}} {}", host_label, host.status == "ok" ? 1 : 0));
        status.samples.push_back(fmt::format("{{{},status=\"{}\"}} 1", host_label, label_value(host.status)));
        timestamp.samples.push_back(fmt::format("{{{}}} {}", host_label, finished));
        if (host.status != "ok") continue;
        // One series per host, check and subject: a textfile holding the same series twice is
        // rejected whole by node_exporter, so the worst finding of each stands for the rest. Keyed by
        // the labels as written: two names that differ only in replaced bytes make one series.
        std::map<std::pair<std::string, std::string>, const Finding*> worst;
        std::map<Severity, int> by_severity = {{Severity::unknown, 0}, {Severity::warning, 0}, {Severity::critical, 0}};
        for (const auto& finding : host.findings) {
            if (finding.severity == Severity::info) continue;
            ++by_severity[finding.severity];
            auto& slot = worst[{label_value(finding.check), label_value(finding.subject)}];
            if (slot == nullptr || finding.severity > slot->severity) slot = &finding;
        }
        for (const auto& [level, number] : by_severity) {
            counts.samples.push_back(fmt::format("{{{},severity=\"{}\"}} {}", host_label, severity_name(level), number));
        }
        for (const auto& [key, finding] : worst) {
            const auto labels = fmt::format("{},check=\"{}\",subject=\"{}\"", host_label, key.first, key.second);
            const int level = finding->severity == Severity::critical ? 2 : finding->severity == Severity::warning ? 1 : 0;
            severity.samples.push_back(fmt::format("{{{}}} {}", labels, level));
            // An unknown finding has no value (a NIC without a speed): left out, so a dashboard does
            // not read "0 % used" where nothing was measured.
            if (finding->severity != Severity::unknown) {
                value.samples.push_back(fmt::format("{{{},unit=\"{}\"}} {}", labels, label_value(finding->unit),
                                                    sample_value(finding->value)));
            }
            if (finding->threshold) {
                threshold.samples.push_back(fmt::format("{{{},unit=\"{}\"}} {}", labels, label_value(finding->unit),
                                                        sample_value(*finding->threshold)));
            }
        }
        std::map<std::string, std::string> unparsable_files;  // file label -> line label, unique as written
        for (const auto& finding : host.findings) {
            const auto file = finding.details.find("file");
            if (file == finding.details.end() || !host.unparsable.count(file->second)) continue;
            const auto line = finding.details.find("line");
            unparsable_files[label_value(file->second)] =
                line == finding.details.end() ? "" : label_value(line->second);
        }
        for (const auto& [file, line] : unparsable_files) {
            unparsable.samples.push_back(fmt::format("{{{},file=\"{}\",line=\"{}\"}} 1", host_label, file, line));
        }
    }

    std::string text;
    for (const auto* family : {&up, &status, &timestamp, &counts, &severity, &value, &threshold, &unparsable}) {
        if (family->samples.empty()) continue;
        text += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", family->name, family->help, family->name);
        for (const auto& sample : family->samples) {
            text += family->name;
            if (sample.front() != '{') text += ' ';
            text += sample + "\n";
        }
    }
    return text;
}

}  // namespace netdiag
