#include "prometheus/prometheus_scan.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <future>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/catalogue.hpp"
#include "common/text.hpp"
#include "prometheus/availability.hpp"
#include "prometheus/node_snapshot.hpp"
#include "remote/inventory.hpp"
#include "scan/scan_host.hpp"

namespace netdiag {

Result<std::string> parse_match_selector(std::string_view selector) {
    const auto text = trim(selector);
    if (text.empty()) return std::string();
    if (text.front() != '{' || text.back() != '}') {
        return make_error(fmt::format("--match needs a label selector in braces, such as '{{job=\"node\"}}', not {}",
                                      printable(text)));
    }
    if (has_control_characters(text)) return make_error("--match holds control characters");
    return std::string(trim(text.substr(1, text.size() - 2)));
}

Result<double> parse_prometheus_duration(std::string_view text) {
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"ms", 0.001}, {"y", 365 * 86400.0}, {"w", 7 * 86400.0}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
    double total = 0;
    std::string_view rest = text;
    if (rest.empty()) return make_error("--window: empty duration");
    while (!rest.empty()) {
        std::size_t digits = 0;
        while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
        const auto number = digits > 0 && digits <= 9 ? parse_u64(rest.substr(0, digits)) : std::nullopt;
        rest.remove_prefix(digits);
        const auto* unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                                        [&](const auto& u) { return starts_with(rest, u.first); });
        if (!number || unit == std::end(kUnits)) {
            return make_error(fmt::format("--window needs a Prometheus duration such as 5m or 1h30m, not \"{}\"",
                                          printable(text)));
        }
        total += static_cast<double>(*number) * unit->second;
        rest.remove_prefix(unit->first.size());
    }
    if (total <= 0) return make_error("--window must be longer than 0");
    return total;
}

Result<double> parse_time_argument(std::string_view text) {
    const auto bad = [&] {
        return make_error(fmt::format("--at needs RFC 3339 time (2026-12-03T03:12:00Z) or Unix seconds, not \"{}\"",
                                      printable(text)));
    };
    if (const auto seconds = parse_double(text); seconds && *seconds > 0 && *seconds < 1e11) return *seconds;
    // YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
    if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
        text[13] != ':' || text[16] != ':') {
        return bad();
    }
    const auto field = [&](std::size_t at, std::size_t width) { return parse_u64(text.substr(at, width)); };
    const auto year = field(0, 4), month = field(5, 2), day = field(8, 2), hour = field(11, 2), minute = field(14, 2),
               second = field(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12 || *day < 1 || *day > 31 ||
        *hour > 23 || *minute > 59 || *second > 60) {
        return bad();
    }
    std::size_t at = 19;
    double fraction = 0;
    if (at < text.size() && text[at] == '.') {
        std::size_t end = at + 1;
        while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
        const auto parsed = parse_double(text.substr(at, end - at));
        if (!parsed || end == at + 1) return bad();
        fraction = *parsed;
        at = end;
    }
    double offset = 0;
    const auto zone = text.substr(at);
    if (zone == "Z" || zone == "z") {
        offset = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        const auto hours = parse_u64(zone.substr(1, 2)), minutes = parse_u64(zone.substr(4, 2));
        if (!hours || !minutes || *hours > 23 || *minutes > 59) return bad();
        offset = (zone[0] == '+' ? 1 : -1) * static_cast<double>(*hours * 3600 + *minutes * 60);
    } else {
        return bad();
    }
    std::tm tm{};
    tm.tm_year = static_cast<int>(*year) - 1900;
    tm.tm_mon = static_cast<int>(*month) - 1;
    tm.tm_mday = static_cast<int>(*day);
    tm.tm_hour = static_cast<int>(*hour);
    tm.tm_min = static_cast<int>(*minute);
    tm.tm_sec = static_cast<int>(*second);
    const auto seconds = ::timegm(&tm);
    if (seconds <= 0) return bad();
    return static_cast<double>(seconds) + fraction - offset;
}

std::string names_regex(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) {
        if (!out.empty()) out += '|';
        for (const char c : name) {
            if (std::string_view(".+*?()[]{}|^$\\").find(c) != std::string_view::npos) out += "\\\\";
            else if (c == '"') out += '\\';
            out += c;
        }
    }
    return out;
}

namespace {

bool selected(const Settings& settings, std::string_view check) {
    return settings.only_checks.empty() || settings.only_checks.count(std::string(check)) > 0;
}

std::string seconds_text(double seconds) { return fmt::format("{}ms", static_cast<long long>(std::llround(seconds * 1000))); }

struct TextfileScan {
    double scanned_at = 0;
    std::vector<Finding> findings;
};

// The findings of netdiag's own textfile on the instance (`scan --format prometheus` from a timer),
// when its last scan of the host succeeded within the window (or the last 10 minutes, if longer).
std::optional<TextfileScan> textfile_findings(const std::string& instance, const std::vector<const Series*>& now,
                                              double at_unix_seconds, double window_seconds) {
    std::optional<double> up, scanned_at;
    using Key = std::pair<std::string, std::string>;  // check, subject
    std::map<Key, const Series*> severity, value, threshold;
    for (const Series* s : now) {
        const auto name = s->label("__name__");
        if (!name || !starts_with(*name, "netdiag_")) continue;
        if (*name == "netdiag_host_up") up = std::max(up.value_or(0), s->value);
        if (*name == "netdiag_scan_timestamp_seconds") scanned_at = std::max(scanned_at.value_or(0), s->value);
        const auto check = s->label("check");
        const auto subject = s->label("subject");
        if (!check || !subject) continue;
        const Key key{*check, *subject};
        if (*name == "netdiag_finding_severity") severity[key] = s;
        if (*name == "netdiag_finding_value") value[key] = s;
        if (*name == "netdiag_finding_threshold") threshold[key] = s;
    }
    if (!up || *up < 1 || !scanned_at || *scanned_at < at_unix_seconds - std::max(window_seconds, 600.0)) {
        return std::nullopt;
    }
    TextfileScan scan;
    scan.scanned_at = *scanned_at;
    for (const auto& [key, level] : severity) {
        const Severity parsed = level->value >= 2 ? Severity::critical : level->value >= 1 ? Severity::warning
                                                                                           : Severity::unknown;
        const auto found_value = value.find(key);
        const auto found_threshold = threshold.find(key);
        Finding f = make_finding(parsed, key.second, found_value == value.end() ? 0 : found_value->second->value,
                                 found_value == value.end() ? std::string()
                                                            : std::string(found_value->second->label("unit").value_or("")),
                                 found_threshold == threshold.end() ? std::nullopt
                                                                    : std::optional<double>(found_threshold->second->value));
        f.check = key.first;
        f.host = instance;
        f.message = found_value == value.end()
                        ? fmt::format("{} on {}: could not decide (netdiag's textfile, {:.0f} s before)", key.first,
                                      key.second, at_unix_seconds - *scanned_at)
                        : fmt::format("{} on {}: {:.4g} {} (netdiag's textfile, {:.0f} s before)", key.first, key.second,
                                      f.value, f.unit, at_unix_seconds - *scanned_at);
        f.details["source"] = "netdiag textfile";
        scan.findings.push_back(std::move(f));
    }
    return scan;
}

// An instance (or an inventory host) that gets no verdict, and why.
HostResult not_judged(std::string host, std::string status, std::string why) {
    HostResult result;
    result.host = std::move(host);
    result.source = "prometheus";
    result.status = std::move(status);
    result.error = std::move(why);
    return result;
}

struct BatchQueries {
    std::string now, before, resets;
};

struct BatchAnswers {
    std::vector<Series> now, before, resets;
};

// A batch's three queries sent at once: Prometheus evaluates a query on one core, so three in
// flight let it use more than one, and netdiag parses one answer while the next is computed.
Result<BatchAnswers> fetch_batch(const PrometheusClient& client, const BatchQueries& queries, double at,
                                 double window_seconds) {
    auto before = std::async(std::launch::async, [&] { return client.query(queries.before, at - window_seconds); });
    auto resets = std::async(std::launch::async, [&] { return client.query(queries.resets, at); });
    auto now = client.query(queries.now, at);
    auto before_answer = before.get();
    auto resets_answer = resets.get();
    if (!now) return now.error();
    if (!before_answer) return before_answer.error();
    if (!resets_answer) return resets_answer.error();
    return BatchAnswers{std::move(now).value(), std::move(before_answer).value(), std::move(resets_answer).value()};
}

}  // namespace

HostResult evaluate_instance(const std::string& instance, const std::vector<const Series*>& before,
                             const std::vector<const Series*>& now, const std::vector<std::string>& reset_devices,
                             double at_unix_seconds, double window_seconds, const Settings& settings) {
    if (now.empty()) {
        return not_judged(instance, "error", "no node_exporter series for this instance (stale, or not a node_exporter)");
    }
    HostResult result;
    result.host = instance;
    result.source = "prometheus";
    Snapshot after = snapshot_from_node_series(instance, now, at_unix_seconds, settings);
    std::vector<Snapshot> samples;
    std::string single_reason;
    if (before.empty()) {
        single_reason = "first scraped inside the window";
    } else {
        Snapshot earlier = snapshot_from_node_series(instance, before, at_unix_seconds - window_seconds, settings);
        if (earlier.uptime_seconds && after.uptime_seconds && *after.uptime_seconds < *earlier.uptime_seconds) {
            single_reason = "rebooted inside the window";
        } else {
            // A device whose counters restarted (re-created, driver reset) has no rate for this
            // window rather than a wrong one: it is left out of the earlier instant.
            if (earlier.net_dev && !reset_devices.empty()) {
                std::erase_if(*earlier.net_dev, [&](const InterfaceCounters& c) {
                    return std::find(reset_devices.begin(), reset_devices.end(), c.name) != reset_devices.end();
                });
            }
            samples.push_back(std::move(earlier));
        }
    }
    samples.push_back(std::move(after));
    result = evaluate_samples(samples, settings);
    result.source = "prometheus";
    for (const auto& device : reset_devices) {
        result.unavailable["prometheus: " + device] = "its counters reset inside the window: no rates for it";
    }

    std::unordered_set<std::string_view> names;
    for (const Series* s : now) {
        if (const auto name = s->label("__name__")) names.insert(*name);
    }
    const auto textfile = textfile_findings(instance, now, at_unix_seconds, window_seconds);
    for (const auto& check : catalogue()) {
        if (!selected(settings, check.id)) continue;
        const auto* coverage = find_prometheus_coverage(check.id);
        std::string reason;
        if (coverage == nullptr || coverage->series.empty()) {
            reason = fmt::format("not available from Prometheus: needs {}",
                                 coverage ? coverage->needs : std::string_view("data netdiag does not map yet"));
        } else {
            std::vector<std::string_view> missing;
            for (const auto series : coverage->series) {
                if (!names.count(series)) missing.push_back(series);
            }
            if (!missing.empty()) {
                reason = coverage->needs.empty()
                             ? fmt::format("not available from Prometheus: no {} series for this instance",
                                           fmt::join(missing, ", "))
                             : fmt::format("not available from Prometheus: needs {}", coverage->needs);
            } else if (check.needs_rates && samples.size() < 2) {
                reason = fmt::format("not checked: {} (a rate needs both ends of the window)", single_reason);
            }
        }
        if (reason.empty()) continue;
        std::erase_if(result.findings, [&](const Finding& f) { return f.check == check.id; });
        if (textfile) {
            // netdiag's own scan on the host answered it: its findings stand (none: all clear).
            for (const auto& finding : textfile->findings) {
                if (finding.check != check.id) continue;
                Finding copy = finding;
                copy.why = std::string(check.why);
                copy.action = std::string(check.action);
                result.findings.push_back(std::move(copy));
            }
            continue;
        }
        result.not_checked[std::string(check.id)] = reason;
    }
    sort_worst_first(result.findings);
    return result;
}

Result<std::vector<HostResult>> scan_prometheus(const PrometheusClient& client, const PrometheusScanOptions& options,
                                                const Settings& settings, const std::atomic<bool>& stop,
                                                const PrometheusProgress& progress) {
    const double at = options.at_unix_seconds;
    const auto selector = [&](std::string_view extra) {
        std::string inside(options.matchers);
        if (!extra.empty()) inside += fmt::format("{}{}", inside.empty() ? "" : ",", extra);
        return fmt::format("{{{}}}", inside);
    };
    // Every node_exporter target, its last scrape up or not: `up` of the jobs that have node series.
    const auto up_query = fmt::format("max by (instance, job) (up{0}) and on(job) group by (job) (node_boot_time_seconds{0})",
                                      selector(""));
    auto up = client.query(up_query, at);
    if (!up) return up.error();

    std::map<std::string, double> up_by_instance;
    std::map<std::string, std::set<std::string>> jobs;
    for (const auto& series : *up) {
        const auto instance = series.label("instance");
        if (!instance) continue;
        auto [slot, added] = up_by_instance.emplace(*instance, series.value);
        if (!added) slot->second = std::max(slot->second, series.value);
        if (const auto job = series.label("job")) jobs[std::string(*instance)].emplace(*job);
    }
    if (up_by_instance.empty()) {
        return make_error(fmt::format("{}: no node_exporter instance matches {} (no node_boot_time_seconds series)",
                                      client.http.endpoint.url(), selector("")));
    }

    // The instances to judge: --limit over instance names (a job is a group), then the inventory's hosts.
    std::vector<std::string> instances;
    if (options.limit) {
        Inventory everything;
        for (const auto& [instance, value] : up_by_instance) {
            InventoryHost host;
            host.name = instance;
            host.address = instance;
            host.groups = {"all"};
            for (const auto& job : jobs[instance]) host.groups.push_back(job);
            std::sort(host.groups.begin(), host.groups.end());
            everything.hosts.push_back(std::move(host));
        }
        auto limited = limit_inventory(everything, *options.limit);
        if (!limited) return limited.error();
        for (const auto& host : limited->hosts) instances.push_back(host.name);
    } else {
        for (const auto& [instance, value] : up_by_instance) instances.push_back(instance);
    }
    std::vector<HostResult> results;
    std::map<std::string, const Settings*> settings_of;  // an inventory host's own, by instance
    if (options.wanted) {
        // By instance label, else by the instance's host part ("web1" for "web1:9100"; the first
        // such instance in name order). Indexed: 5,000 hosts must not mean 25 million comparisons.
        const std::set<std::string> exact(instances.begin(), instances.end());
        std::map<std::string, std::string> by_host_part;
        for (const auto& instance : instances) {
            const auto colon = instance.rfind(':');
            if (colon != std::string::npos) by_host_part.emplace(instance.substr(0, colon), instance);
        }
        std::vector<std::string> chosen;
        for (const auto& want : *options.wanted) {
            std::optional<std::string> match;
            if (exact.count(want.name)) {
                match = want.name;
            } else if (const auto found = by_host_part.find(want.name); found != by_host_part.end()) {
                match = found->second;
            }
            if (match) {
                chosen.push_back(*match);
                if (want.settings) settings_of.emplace(*match, want.settings.get());
            } else {
                results.push_back(not_judged(want.name, "error",
                                             fmt::format("no node_exporter instance \"{}\" (or \"{}:PORT\") matches {}",
                                                         want.name, want.name, selector(""))));
            }
        }
        instances = std::move(chosen);
    }

    const auto metrics = fmt::format("__name__=~\"{}\"", node_metric_regex());
    const auto counters = fmt::format("__name__=~\"{}\"", node_counter_regex());
    const auto window = seconds_text(options.window_seconds);
    // A batch is a range of `instances`. One whose answer is larger than the client takes is asked
    // again in halves, and the batches after it are halved too (a fleet of many-CPU hosts has
    // several times the series of the 500 a batch is sized for); an instance that alone does not
    // fit is its own error, never the fleet's.
    struct Range {
        std::size_t first = 0, count = 0;
    };
    std::size_t batch = std::max<std::size_t>(1, options.batch_size);
    std::size_t next_first = 0;
    std::vector<Range> again;  // halves to ask for before going on
    const auto take_range = [&]() -> std::optional<Range> {
        if (!again.empty()) {
            const auto range = again.back();
            again.pop_back();
            return range;
        }
        if (next_first >= instances.size()) return std::nullopt;
        const Range range{next_first, std::min(batch, instances.size() - next_first)};
        next_first += range.count;
        return range;
    };
    const auto names_in = [&](Range range) {
        return std::vector<std::string>(instances.begin() + static_cast<std::ptrdiff_t>(range.first),
                                        instances.begin() + static_cast<std::ptrdiff_t>(range.first + range.count));
    };
    const auto queries_for = [&](Range range) {
        // Every instance there is, at once: no need to name them.
        const bool all = range.count == up_by_instance.size();
        const std::string only = all ? "" : fmt::format("instance=~\"{}\"", names_regex(names_in(range)));
        const auto with_only = [&](const std::string& names) {
            return selector(only.empty() ? names : fmt::format("{},{}", names, only));
        };
        // Which devices' counters restarted inside the window. resets() drops the metric name, so
        // one resets() over a name regex would give receive and transmit of a device the same
        // labels, which Prometheus refuses; one per counter, joined, gives the (instance, device)s.
        std::string reset_query;
        for (const auto counter : node_network_counters()) {
            if (!reset_query.empty()) reset_query += " or ";
            reset_query += fmt::format("(resets({}{}[{}]) > 0)", counter, selector(only), window);
        }
        return BatchQueries{with_only(metrics), with_only(counters), std::move(reset_query)};
    };
    // The next batch's answers are on their way while this one is judged.
    const auto send = [&](Range range) {
        return std::async(std::launch::async, [&client, queries = queries_for(range), at,
                                               window_seconds = options.window_seconds] {
            return fetch_batch(client, queries, at, window_seconds);
        });
    };
    std::optional<Range> current = take_range();
    std::future<Result<BatchAnswers>> next;
    if (current) next = send(*current);
    std::size_t done = 0;
    while (current) {
        auto answers = next.get();
        const Range range = *current;
        if (!answers) {
            if (!answers.error().too_large) return answers.error();
            if (range.count > 1) {
                batch = std::max<std::size_t>(1, std::min(batch, range.count / 2));
                again.push_back(Range{range.first + range.count / 2, range.count - range.count / 2});
                again.push_back(Range{range.first, range.count / 2});
                if (stop.load()) break;
                current = take_range();  // the first half
                next = send(*current);
                continue;
            }
            const auto why = fmt::format("its series alone are more than netdiag takes in one answer ({} MiB, {} series)",
                                         client.http.max_body >> 20, client.limits.max_series);
            results.push_back(not_judged(instances[range.first], "error", why));
        }
        if (stop.load()) break;
        current = take_range();
        if (current) next = send(*current);
        if (!answers) {
            done += 1;
            if (progress) progress(done, instances.size());
            continue;
        }
        const auto part = names_in(range);
        const auto& now = answers->now;
        const auto& before = answers->before;
        const auto& resets = answers->resets;

        // Hashed: a batch is ~150,000 series, and instance names share long prefixes.
        std::unordered_map<std::string_view, std::vector<const Series*>> now_of, before_of;
        std::unordered_map<std::string_view, std::vector<std::string>> reset_of;
        for (const auto& s : now) {
            if (const auto instance = s.label("instance")) now_of[*instance].push_back(&s);
        }
        for (const auto& s : before) {
            if (const auto instance = s.label("instance")) before_of[*instance].push_back(&s);
        }
        for (const auto& s : resets) {
            const auto instance = s.label("instance");
            const auto device = s.label("device");
            if (instance && device) {
                auto& devices = reset_of[*instance];
                if (std::find(devices.begin(), devices.end(), *device) == devices.end()) devices.emplace_back(*device);
            }
        }
        static const std::vector<const Series*> kNone;
        static const std::vector<std::string> kNoResets;
        for (const auto& instance : part) {
            if (up_by_instance[instance] < 1) {
                results.push_back(not_judged(instance, "unreachable",
                                             "Prometheus' last scrape of its node_exporter failed (up == 0)"));
                continue;
            }
            const auto found_now = now_of.find(instance);
            const auto found_before = before_of.find(instance);
            const auto found_resets = reset_of.find(instance);
            const auto own = settings_of.find(instance);
            results.push_back(evaluate_instance(instance, found_before == before_of.end() ? kNone : found_before->second,
                                                found_now == now_of.end() ? kNone : found_now->second,
                                                found_resets == reset_of.end() ? kNoResets : found_resets->second, at,
                                                options.window_seconds, own == settings_of.end() ? settings : *own->second));
        }
        done += part.size();
        if (progress) progress(done, instances.size());
    }
    std::stable_sort(results.begin(), results.end(), [](const HostResult& a, const HostResult& b) { return a.host < b.host; });
    return results;
}

}  // namespace netdiag
