// Conntrack: table fill and the connections it refused.
#include <fmt/format.h>

#include "checks/catalogue.hpp"

namespace netdiag {

void check_conntrack_fill(const CheckInput& in, std::vector<Finding>& out) {
    const auto& conntrack = in.now.conntrack;
    if (!conntrack || !conntrack->count || !conntrack->max || *conntrack->max == 0) return;  // not loaded
    const double percent = 100.0 * static_cast<double>(*conntrack->count) / static_cast<double>(*conntrack->max);
    const double warning = in.settings.threshold("conntrack-fill.warning");
    const double critical = in.settings.threshold("conntrack-fill.critical");
    if (percent < warning) return;
    Finding f;
    f.severity = percent >= critical ? Severity::critical : Severity::warning;
    f.subject = "nf_conntrack";
    f.value = percent;
    f.unit = "%";
    f.threshold = f.severity == Severity::critical ? critical : warning;
    f.message = fmt::format("conntrack table holds {} of {} entries ({:.1f}%)", *conntrack->count, *conntrack->max,
                            percent);
    f.why = "When the table is full the kernel drops new connections' first packets: clients see timeouts, "
            "not refusals.";
    f.action = fmt::format("Raise net.netfilter.nf_conntrack_max (now {}) with the hash size to match, or shorten "
                           "conntrack timeouts; `netdiag fix --only conntrack-max` plans it.",
                           *conntrack->max);
    f.fix = "conntrack-max";
    f.details["count"] = std::to_string(*conntrack->count);
    f.details["max"] = std::to_string(*conntrack->max);
    if (conntrack->buckets) f.details["buckets"] = std::to_string(*conntrack->buckets);
    out.push_back(std::move(f));
}

void check_conntrack_drops(const CheckInput& in, std::vector<Finding>& out) {
    if (!in.rates->conntrack_stat) return;
    const auto& stat = *in.rates->conntrack_stat;
    const auto rate = [&](const char* field) {
        const auto found = stat.find(field);
        return found == stat.end() ? 0.0 : found->second;
    };
    const double insert_failed = rate("insert_failed"), drop = rate("drop"), early_drop = rate("early_drop");
    const double sum = insert_failed + drop + early_drop;
    const double critical = in.settings.threshold("conntrack-drops.critical");
    if (sum <= critical) return;
    Finding f;
    f.severity = Severity::critical;
    f.subject = "nf_conntrack";
    f.value = sum;
    f.unit = "/s";
    f.threshold = critical;
    f.message = fmt::format("conntrack refused or evicted {:.1f} connections/s (insert_failed {:.1f}, drop {:.1f}, "
                            "early_drop {:.1f})",
                            sum, insert_failed, drop, early_drop);
    f.why = "Each of these is a connection attempt that was dropped or an established flow that lost its state.";
    f.action = "Raise net.netfilter.nf_conntrack_max and the hash size; insert_failed alone with a roomy table "
               "points at UDP/DNS races instead. `netdiag fix --only conntrack-max` plans the sizing.";
    f.fix = "conntrack-max";
    out.push_back(std::move(f));
}

}  // namespace netdiag
