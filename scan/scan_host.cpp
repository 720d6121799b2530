#include "scan/scan_host.hpp"

#include <thread>

#include "checks/catalogue.hpp"
#include "checks/rates.hpp"
#include "collect/collector.hpp"

namespace netdiag {

void sleep_for(std::chrono::milliseconds duration) { std::this_thread::sleep_for(duration); }

Result<std::vector<Snapshot>> take_sample_series(Transport& transport, const std::string& host, int count,
                                                 std::chrono::milliseconds interval, const Sleeper& sleeper) {
    std::vector<Snapshot> samples;
    for (int i = 0; i < count; ++i) {
        if (i > 0 && interval.count() > 0) sleeper(interval);
        auto sample = collect_sample(transport, host);
        if (!sample) return sample.error();
        samples.push_back(std::move(sample).value());
    }
    return samples;
}

HostResult evaluate_samples(const std::vector<Snapshot>& samples, const Settings& settings) {
    HostResult result;
    if (samples.empty()) {
        result.status = "error";
        result.error = "no samples";
        return result;
    }
    const Snapshot& last = samples.back();
    result.host = last.host;
    result.hostname = last.hostname;
    result.kernel_release = last.kernel_release;
    result.unavailable = last.unavailable;
    if (!last.net_dev && !last.snmp && !last.sockstat) {
        result.status = "error";
        result.error = "none of /proc/net/dev, /proc/net/snmp, /proc/net/sockstat could be read";
        return result;
    }
    std::optional<Rates> rates;
    if (samples.size() >= 2) {
        auto computed = compute_rates(samples.front(), last);
        if (!computed) {
            result.status = "error";
            result.error = computed.error().message;
            return result;
        }
        rates = std::move(computed).value();
        result.interval_seconds = rates->seconds;
    }
    result.findings = run_checks(last, rates ? &*rates : nullptr, settings);
    if (rates) {
        // Physical interfaces' load for the table's throughput picture (a few NICs; veths are virtual).
        for (const auto& r : rates->interfaces) {
            const auto* info = find_interface(last, r.name);
            if (settings.is_virtual(r.name) || (info && info->is_virtual) || result.interface_load.size() >= 64) continue;
            HostResult::InterfaceLoad load{r.name, r.rx_bytes * 8, r.tx_bytes * 8, std::nullopt};
            if (const auto given = settings.speeds_mbps.find(r.name); given != settings.speeds_mbps.end()) {
                load.speed_mbps = given->second;
            } else if (info && info->speed_mbps) {
                load.speed_mbps = info->speed_mbps;
            }
            result.interface_load.push_back(std::move(load));
        }
    }
    // Files that exist but did not parse make their checks "unknown", and the host not fully checked.
    for (auto& finding : unparsable_findings(last, rates ? &samples.front() : nullptr, settings)) {
        result.unparsable[finding.details.at("file")] = finding.details.at("error");
        result.findings.push_back(std::move(finding));
    }
    sort_worst_first(result.findings);
    return result;
}

}  // namespace netdiag
