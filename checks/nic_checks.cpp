// Physical interfaces: saturation against link speed, errors and transmit drops.
#include <fmt/format.h>

// GCC 12 at -O3 (the quick start's release build) warns falsely that assigning a string literal to
// a std::string may overlap (-Wrestrict, GCC bug 105329); which assignment it picks moves with inlining.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "checks/catalogue.hpp"

namespace netdiag {
namespace {

bool is_up(const InterfaceInfo* info) {
    return info == nullptr || !info->operstate || *info->operstate == "up" || *info->operstate == "unknown";
}

}  // namespace

void check_nic_saturation(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("nic-saturation.warning");
    const double critical = in.settings.threshold("nic-saturation.critical");
    for (const auto& r : in.rates->interfaces) {
        if (in.settings.is_virtual(r.name)) continue;
        const InterfaceInfo* info = find_interface(in.now, r.name);
        if (!is_up(info)) continue;
        std::optional<std::int64_t> speed;
        std::string speed_source = "sysfs";
        if (const auto given = in.settings.speeds_mbps.find(r.name); given != in.settings.speeds_mbps.end()) {
            speed = given->second;
            speed_source = "configured";
        } else if (info != nullptr && info->speed_mbps && *info->speed_mbps > 0) {
            speed = *info->speed_mbps;
        }
        if (!speed) {
            Finding f;
            f.severity = Severity::unknown;
            f.subject = r.name;
            f.unit = "%";
            f.message = fmt::format("{} does not report its link speed, so its saturation is unknown", r.name);
            f.why = "Without a speed a full link cannot be told from an idle one.";
            f.action = fmt::format("Give the speed: `--speed {}=MBPS` or `speeds:` in the config or inventory.", r.name);
            out.push_back(std::move(f));
            continue;
        }
        const double bits = std::max(r.rx_bytes, r.tx_bytes) * 8;
        const double percent = 100.0 * bits / (static_cast<double>(*speed) * 1e6);
        if (percent < warning) continue;
        const bool receive = r.rx_bytes >= r.tx_bytes;
        Finding f;
        f.severity = percent >= critical ? Severity::critical : Severity::warning;
        f.subject = r.name;
        f.value = percent;
        f.unit = "%";
        f.threshold = f.severity == Severity::critical ? critical : warning;
        f.message = fmt::format("{} {} at {:.0f} Mb/s, {:.1f}% of its {} Mb/s link ({})", r.name,
                                receive ? "receives" : "transmits", bits / 1e6, percent, *speed, speed_source);
        f.why = "A link near its capacity queues and then drops packets; latency rises first.";
        f.action = "Move traffic to another link or bond, or shape the sender; confirm with `sar -n DEV 1`.";
        out.push_back(std::move(f));
    }
}

void check_nic_errors(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("nic-errors.warning");
    for (const auto& r : in.rates->interfaces) {
        if (in.settings.is_virtual(r.name)) continue;
        const double errors = r.rx_errs + r.tx_errs;
        if (errors <= warning) continue;
        Finding f;
        f.severity = Severity::warning;
        f.subject = r.name;
        f.value = errors;
        f.unit = "/s";
        f.threshold = warning;
        f.message = fmt::format("{} counts {:.1f} rx errors/s and {:.1f} tx errors/s", r.name, r.rx_errs, r.tx_errs);
        f.why = "Interface errors mean damaged frames (CRC, length, carrier): usually a cable, optic, port or "
                "duplex problem.";
        f.action = fmt::format("Look at `ethtool -S {0}` for the error type and `ethtool {0}` for speed and duplex; "
                               "swap the cable or optic.",
                               r.name);
        out.push_back(std::move(f));
    }
}

// Packets an interface dropped on transmit, as a share of what it sent: Netdata's
// outbound_packets_dropped_ratio warns at 2 %.
void check_tx_drops(const CheckInput& in, std::vector<Finding>& out) {
    const double warning = in.settings.threshold("tx-drops.warning");
    for (const auto& r : in.rates->interfaces) {
        if (in.settings.is_virtual(r.name) || r.tx_drop <= 0) continue;
        const double share = 100.0 * r.tx_drop / (r.tx_packets + r.tx_drop);
        if (share < warning) continue;
        Finding f;
        f.severity = Severity::warning;
        f.subject = r.name;
        f.value = share;
        f.unit = "%";
        f.threshold = warning;
        f.message = fmt::format("{} drops {:.1f}% of the packets it transmits ({:.1f} dropped/s, {:.1f} sent/s)", r.name,
                                share, r.tx_drop, r.tx_packets);
        f.why = "Transmit drops happen before the wire: the driver's TX ring or the queue in front of it was "
                "full, or the link went down while sending.";
        f.action = fmt::format("Check the link (`ip link show {0}`), the qdisc (`tc -s qdisc show dev {0}`), and raise "
                               "the TX ring (`ethtool -g {0}`, `ethtool -G {0} tx N`) or txqueuelen.",
                               r.name);
        out.push_back(std::move(f));
    }
}

}  // namespace netdiag
