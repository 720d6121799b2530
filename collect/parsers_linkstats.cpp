#include "collect/parsers_linkstats.hpp"
#include "collect/parsers_netlink.hpp"

#include <cmath>
#include <cstddef>
#include <cstring>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <fmt/format.h>

#include "common/text.hpp"

namespace netdiag {
namespace {

// Longer lines are garbage, not tc or ethtool output (a qdisc's option line is well under 1 KiB).
constexpr std::size_t kMaxLineBytes = 64 * 1024;

Error at(std::string_view source, std::size_t line, std::string_view what) {
    return make_error(fmt::format("{}:{}: {}", source, line, what));
}

std::string quoted(std::string_view text) {
    constexpr std::size_t kShown = 40;
    std::string shown(text.substr(0, kShown));
    for (auto& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    }
    return fmt::format("\"{}{}\"", shown, text.size() > kShown ? "..." : "");
}

bool is_hex(std::string_view text) {
    return !text.empty() && text.size() <= 8 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// "1:" (a qdisc handle: major only).
bool is_handle(std::string_view text) { return text.size() >= 2 && text.back() == ':' && is_hex(text.substr(0, text.size() - 1)); }

// "root", "1:2", ":1", "1:" as print_tc_classid writes them.
bool is_parent(std::string_view text) {
    if (text == "root") return true;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || text.size() < 2) return false;
    const auto major = text.substr(0, colon), minor = text.substr(colon + 1);
    return (major.empty() || is_hex(major)) && (minor.empty() || is_hex(minor));
}

// tc's sprint_size: "%ub" exact, "%gKb" and "%gMb" rounded to whole KiB/MiB.
std::optional<std::uint64_t> parse_tc_size(std::string_view text) {
    const auto scaled = [](std::string_view number, double unit) -> std::optional<std::uint64_t> {
        const auto value = parse_double(number);
        if (!value || !std::isfinite(*value) || *value < 0 || *value * unit > 18e18) return std::nullopt;
        return static_cast<std::uint64_t>(std::llround(*value * unit));
    };
    if (text.size() > 2 && text.substr(text.size() - 2) == "Mb") return scaled(text.substr(0, text.size() - 2), 1024.0 * 1024);
    if (text.size() > 2 && text.substr(text.size() - 2) == "Kb") return scaled(text.substr(0, text.size() - 2), 1024.0);
    if (text.size() > 1 && text.back() == 'b') return parse_u64(text.substr(0, text.size() - 1));
    return std::nullopt;
}

// A qdisc being read, with which of its statistics lines have been seen.
struct PendingQdisc {
    QdiscStats stats;
    std::size_t line = 0;
    bool ingress = false, has_sent = false, has_backlog = false;
};

// " Sent 123 bytes 4 pkt (dropped 0, overlimits 0 requeues 0)"; old tc printed "pkts".
std::optional<std::string> read_sent_line(const std::vector<std::string_view>& fields, QdiscStats& stats) {
    if (fields.size() < 5 || fields[2] != "bytes" || (fields[4] != "pkt" && fields[4] != "pkts")) {
        return std::string("expected \"Sent N bytes N pkt (dropped N, overlimits N requeues N)\"");
    }
    const auto bytes = parse_u64(fields[1]), packets = parse_u64(fields[3]);
    if (!bytes) return fmt::format("sent bytes {} is not a counter", quoted(fields[1]));
    if (!packets) return fmt::format("sent packets {} is not a counter", quoted(fields[3]));
    stats.sent_bytes = *bytes;
    stats.sent_packets = *packets;
    // "(dropped 0," "overlimits 0" "requeues 0)": name/value pairs with punctuation around them.
    bool dropped = false, overlimits = false;
    for (std::size_t i = 5; i < fields.size(); i += 2) {
        auto name = fields[i];
        if (i + 1 >= fields.size()) return fmt::format("{} has no value", quoted(name));
        auto value = fields[i + 1];
        if (i == 5) {
            if (name.empty() || name.front() != '(') return fmt::format("unexpected {} after the packet count", quoted(name));
            name.remove_prefix(1);
        }
        const bool last = i + 2 >= fields.size();
        if (!value.empty() && value.back() == (last ? ')' : ',')) value.remove_suffix(1);
        const auto number = parse_u64(value);
        if (!number) return fmt::format("{} {} is not a counter", name, quoted(fields[i + 1]));
        if (name == "dropped") {
            stats.drops = *number;
            dropped = true;
        } else if (name == "overlimits") {
            stats.overlimits = *number;
            overlimits = true;
        } else if (name == "requeues") {
            stats.requeues = *number;
        }  // a counter added by a later tc is read but not kept
    }
    if (!dropped || !overlimits) return std::string("missing the dropped and overlimits counters");
    return std::nullopt;
}

// "backlog 1514b 1p requeues 0", possibly after "rate 0bit 0pps".
std::optional<std::string> read_backlog_line(const std::vector<std::string_view>& fields, QdiscStats& stats) {
    std::size_t at_backlog = 0;
    while (at_backlog < fields.size() && fields[at_backlog] != "backlog") ++at_backlog;
    if (at_backlog + 2 >= fields.size()) return std::string("expected \"backlog SIZE Np\"");
    const auto bytes = parse_tc_size(fields[at_backlog + 1]);
    if (!bytes) return fmt::format("backlog size {} is not a size", quoted(fields[at_backlog + 1]));
    const auto packets_text = fields[at_backlog + 2];
    const auto packets = packets_text.size() > 1 && packets_text.back() == 'p'
                             ? parse_u64(packets_text.substr(0, packets_text.size() - 1))
                             : std::nullopt;
    if (!packets) return fmt::format("backlog packets {} is not a count", quoted(packets_text));
    stats.backlog_bytes = *bytes;
    stats.backlog_packets = *packets;
    if (at_backlog + 4 < fields.size() && fields[at_backlog + 3] == "requeues") {
        const auto requeues = parse_u64(fields[at_backlog + 4]);
        if (!requeues) return fmt::format("requeues {} is not a counter", quoted(fields[at_backlog + 4]));
        stats.requeues = *requeues;
    }
    return std::nullopt;
}

// "qdisc fq_codel 0: dev eth0 root refcnt 2 limit 10240p ..."
Result<PendingQdisc> read_qdisc_line(const std::vector<std::string_view>& fields, std::size_t number,
                                     std::string_view source) {
    if (fields.size() < 5) return at(source, number, "expected \"qdisc KIND HANDLE dev IF ...\"");
    PendingQdisc pending;
    pending.line = number;
    if (has_control_characters(fields[1])) return at(source, number, "the qdisc kind holds control characters");
    pending.stats.kind = std::string(fields[1]);
    if (!is_handle(fields[2])) return at(source, number, fmt::format("qdisc handle {} is not a handle", quoted(fields[2])));
    pending.stats.handle = std::string(fields[2]);
    if (fields[3] != "dev") return at(source, number, fmt::format("expected \"dev IF\", found {}", quoted(fields[3])));
    if (has_control_characters(fields[4])) return at(source, number, "the interface name holds control characters");
    pending.stats.interface = std::string(fields[4]);
    if (fields.size() > 5 && fields[5] == "root") {
        pending.stats.parent = "root";
    } else if (fields.size() > 6 && fields[5] == "parent") {
        if (!is_parent(fields[6])) return at(source, number, fmt::format("parent {} is not a class id", quoted(fields[6])));
        pending.stats.parent = std::string(fields[6]);
        pending.ingress = fields[6] == format_qdisc_parent(kIngressParent);
    }  // no parent printed: TC_H_UNSPEC, kept as ""
    return pending;
}

}  // namespace

std::string format_qdisc_handle(std::uint32_t handle) { return fmt::format("{:x}:", handle >> 16); }

std::string format_qdisc_parent(std::uint32_t parent) {
    if (parent == TC_H_ROOT) return "root";
    if (parent == TC_H_UNSPEC) return "";
    const auto major = TC_H_MAJ(parent) >> 16, minor = TC_H_MIN(parent);
    if (major == 0) return fmt::format(":{:x}", minor);
    if (minor == 0) return fmt::format("{:x}:", major);
    return fmt::format("{:x}:{:x}", major, minor);
}

Result<std::vector<QdiscStats>> parse_tc_qdisc_stats(std::string_view text, std::string_view source) {
    if (trim(text).empty()) return make_error(fmt::format("{}: no output (every interface has a qdisc)", source));
    std::vector<QdiscStats> qdiscs;
    std::optional<PendingQdisc> pending;
    std::size_t seen = 0;
    const auto finish = [&]() -> std::optional<Error> {
        if (!pending) return std::nullopt;
        if (!pending->has_sent || !pending->has_backlog) {
            return at(source, pending->line,
                      fmt::format("qdisc {} {} on {} has no {} line (was tc run without -s?)", pending->stats.kind,
                                  pending->stats.handle, pending->stats.interface,
                                  pending->has_sent ? "backlog" : "Sent"));
        }
        if (!pending->ingress) qdiscs.push_back(std::move(pending->stats));
        pending.reset();
        return std::nullopt;
    };
    std::size_t number = 0;
    for (const auto line : lines_of(text)) {
        ++number;
        if (line.size() > kMaxLineBytes) return at(source, number, "line too long");
        if (trim(line).empty()) continue;
        const auto fields = split_ws(line);
        const bool indented = line.front() == ' ' || line.front() == '\t';
        if (!indented) {
            if (fields[0] != "qdisc") return at(source, number, fmt::format("expected a qdisc line, found {}", quoted(line)));
            if (auto error = finish()) return *error;
            if (++seen > kMaxQdiscs) return at(source, number, fmt::format("more than {} qdiscs", kMaxQdiscs));
            auto read = read_qdisc_line(fields, number, source);
            if (!read) return read.error();
            pending = std::move(*read);
            continue;
        }
        if (!pending) return at(source, number, "statistics before any qdisc line");
        std::optional<std::string> problem;
        if (fields[0] == "Sent") {
            if (pending->has_sent) return at(source, number, "a second Sent line for one qdisc");
            problem = read_sent_line(fields, pending->stats);
            pending->has_sent = true;
        } else if (fields[0] == "backlog" || (fields[0] == "rate" && fields.size() > 3 && fields[3] == "backlog")) {
            if (pending->has_backlog) return at(source, number, "a second backlog line for one qdisc");
            problem = read_backlog_line(fields, pending->stats);
            pending->has_backlog = true;
        }  // other indented lines are a kind's own statistics (fq_codel's maxpacket, ...)
        if (problem) return at(source, number, *problem);
    }
    if (auto error = finish()) return *error;
    return qdiscs;
}

Result<RingSizes> parse_ethtool_rings(std::string_view text, std::string_view source) {
    if (trim(text).empty()) return make_error(fmt::format("{}: no output", source));
    enum class Section { none, maximums, current };
    Section section = Section::none;
    std::optional<std::uint64_t> rx, rx_max, tx, tx_max;
    std::size_t number = 0;
    for (const auto raw : lines_of(text)) {
        ++number;
        if (raw.size() > kMaxLineBytes) return at(source, number, "line too long");
        const auto line = trim(raw);
        if (line.empty()) continue;
        if (starts_with(line, "Ring parameters for ")) continue;
        if (line == "Pre-set maximums:") {
            section = Section::maximums;
            continue;
        }
        if (line == "Current hardware settings:") {
            section = Section::current;
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || section == Section::none) {
            return at(source, number, fmt::format("expected \"NAME: VALUE\" in a ring section, found {}", quoted(line)));
        }
        const auto name = trim(line.substr(0, colon));
        const auto value_text = trim(line.substr(colon + 1));
        if (name != "RX" && name != "TX") continue;  // RX Mini, RX Jumbo, RX Buf Len, TX Push, ...
        std::optional<std::uint64_t> value = value_text == "n/a" ? std::optional<std::uint64_t>(0) : parse_u64(value_text);
        if (!value) return at(source, number, fmt::format("{} ring size {} is not a number", name, quoted(value_text)));
        auto& target = section == Section::maximums ? (name == "RX" ? rx_max : tx_max) : (name == "RX" ? rx : tx);
        if (target) return at(source, number, fmt::format("a second {} line in one section", name));
        target = value;
    }
    if (!rx_max || !tx_max) return make_error(fmt::format("{}: no RX and TX lines under \"Pre-set maximums:\"", source));
    if (!rx || !tx) return make_error(fmt::format("{}: no RX and TX lines under \"Current hardware settings:\"", source));
    return RingSizes{*rx, *rx_max, *tx, *tx_max};
}

namespace {

// The attributes of one netlink message, each payload copied bounds-checked (no alignment promise).
template <class Visit>
std::optional<std::string> for_each_attribute(std::string_view attributes, Visit&& visit) {
    while (attributes.size() >= sizeof(nlattr)) {
        nlattr attribute{};
        std::memcpy(&attribute, attributes.data(), sizeof attribute);
        if (attribute.nla_len < sizeof attribute || attribute.nla_len > attributes.size()) {
            return fmt::format("attribute length {} out of bounds", attribute.nla_len);
        }
        visit(static_cast<unsigned>(attribute.nla_type & NLA_TYPE_MASK),
              attributes.substr(sizeof attribute, attribute.nla_len - sizeof attribute));
        attributes.remove_prefix(std::min<std::size_t>(NLA_ALIGN(attribute.nla_len), attributes.size()));
    }
    return std::nullopt;
}

template <class T>
bool copy_payload(std::string_view payload, T& out) {
    if (payload.size() < sizeof out) return false;
    std::memcpy(&out, payload.data(), sizeof out);
    return true;
}

// One RTM_NEWQDISC message body (struct tcmsg and attributes).
std::optional<std::string> read_qdisc_message(std::string_view body, const std::map<int, std::string>& interface_names,
                                              std::vector<QdiscStats>& into) {
    tcmsg message{};
    if (!copy_payload(body, message)) return std::string("truncated tcmsg");
    std::optional<std::string> kind;
    std::optional<tc_stats> legacy;
    std::optional<gnet_stats_basic> basic;
    std::optional<std::uint64_t> packets64;
    std::optional<gnet_stats_queue> queue;
    std::optional<std::string> nested_problem;
    auto problem = for_each_attribute(body.substr(NLMSG_ALIGN(sizeof message) <= body.size() ? NLMSG_ALIGN(sizeof message) : body.size()),
                                      [&](unsigned type, std::string_view payload) {
        if (type == TCA_KIND) {
            kind = std::string(payload.substr(0, payload.find('\0')));
        } else if (type == TCA_STATS) {
            // Older kernels send a shorter struct tc_stats; bytes to backlog are in every version.
            tc_stats stats{};
            std::memcpy(&stats, payload.data(), std::min(payload.size(), sizeof stats));
            if (payload.size() >= offsetof(tc_stats, backlog) + sizeof stats.backlog) legacy = stats;
        } else if (type == TCA_STATS2) {
            nested_problem = for_each_attribute(payload, [&](unsigned nested, std::string_view value) {
                // struct gnet_stats_basic is 12 bytes of data padded to 16; the kernel sends 16.
                if (nested == TCA_STATS_BASIC && value.size() >= offsetof(gnet_stats_basic, packets) + sizeof(__u32)) {
                    gnet_stats_basic stats{};
                    std::memcpy(&stats, value.data(), std::min(value.size(), sizeof stats));
                    basic = stats;
                } else if (nested == TCA_STATS_PKT64) {
                    std::uint64_t count = 0;
                    if (copy_payload(value, count)) packets64 = count;
                } else if (nested == TCA_STATS_QUEUE) {
                    gnet_stats_queue stats{};
                    if (copy_payload(value, stats)) queue = stats;
                }
            });
        }
    });
    if (problem) return problem;
    if (nested_problem) return nested_problem;
    if (!kind || kind->empty() || has_control_characters(*kind)) return std::string("qdisc without a kind");
    if (message.tcm_parent == kIngressParent) return std::nullopt;
    const auto name = interface_names.find(message.tcm_ifindex);
    if (name == interface_names.end()) return std::nullopt;  // the interface went away meanwhile
    QdiscStats stats;
    stats.interface = name->second;
    stats.kind = *kind;
    stats.handle = format_qdisc_handle(message.tcm_handle);
    stats.parent = format_qdisc_parent(message.tcm_parent);
    if (basic && queue) {
        stats.sent_bytes = basic->bytes;
        stats.sent_packets = packets64.value_or(basic->packets);
        stats.drops = queue->drops;
        stats.overlimits = queue->overlimits;
        stats.requeues = queue->requeues;
        stats.backlog_bytes = queue->backlog;
        stats.backlog_packets = queue->qlen;
    } else if (legacy) {
        stats.sent_bytes = legacy->bytes;
        stats.sent_packets = legacy->packets;
        stats.drops = legacy->drops;
        stats.overlimits = legacy->overlimits;
        stats.backlog_bytes = legacy->backlog;
        stats.backlog_packets = legacy->qlen;
    } else {
        return fmt::format("qdisc {} {} on {} carries no statistics", stats.kind, stats.handle, stats.interface);
    }
    into.push_back(std::move(stats));
    return std::nullopt;
}

// sysfs's operstate names, by IF_OPER_* (RFC 2863).
std::string operstate_name(std::uint8_t state) {
    constexpr std::string_view kNames[] = {"unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"};
    return std::string(state < std::size(kNames) ? kNames[state] : kNames[0]);
}

// One RTM_NEWLINK message body (struct ifinfomsg and attributes).
std::optional<std::string> read_link_message(std::string_view body, std::vector<LinkState>& into) {
    ifinfomsg message{};
    if (!copy_payload(body, message)) return std::string("truncated ifinfomsg");
    LinkState link;
    // ifi_flags adds what the kernel computes (RUNNING, LOWER_UP, DORMANT) to the device's flags;
    // sysfs `flags` shows the device's own.
    link.flags = static_cast<std::int64_t>(message.ifi_flags & ~static_cast<unsigned>(IFF_RUNNING | IFF_LOWER_UP | IFF_DORMANT));
    std::optional<std::uint8_t> carrier, operstate;
    std::optional<std::string> nested_problem;
    auto problem = for_each_attribute(body.substr(std::min<std::size_t>(NLMSG_ALIGN(sizeof message), body.size())),
                                      [&](unsigned type, std::string_view payload) {
        std::uint32_t u32 = 0;
        std::uint8_t u8 = 0;
        if (type == IFLA_IFNAME) {
            link.name = std::string(payload.substr(0, payload.find('\0')));
        } else if (type == IFLA_MTU && copy_payload(payload, u32)) {
            link.mtu = u32;
        } else if (type == IFLA_CARRIER && copy_payload(payload, u8)) {
            carrier = u8;
        } else if (type == IFLA_CARRIER_CHANGES && copy_payload(payload, u32)) {
            link.carrier_changes = u32;
        } else if (type == IFLA_STATS64 && payload.size() >= offsetof(rtnl_link_stats64, rx_missed_errors) + sizeof(__u64)) {
            rtnl_link_stats64 stats{};  // longer in newer kernels; the fields read here are in every version
            std::memcpy(&stats, payload.data(), std::min(payload.size(), sizeof stats));
            link.rx_missed_errors = stats.rx_missed_errors;
            link.rx_fifo_errors = stats.rx_fifo_errors;
        } else if (type == IFLA_OPERSTATE && copy_payload(payload, u8)) {
            operstate = u8;
        } else if (type == IFLA_AF_SPEC) {
            // AF_INET's IFLA_INET_CONF: the interface's devconf, u32 values indexed from IPV4_DEVCONF_FORWARDING (1).
            nested_problem = for_each_attribute(payload, [&](unsigned family, std::string_view spec) {
                if (family != AF_INET) return;
                auto inner = for_each_attribute(spec, [&](unsigned inet, std::string_view conf) {
                    const std::size_t offset = (IPV4_DEVCONF_RP_FILTER - 1) * sizeof(std::uint32_t);
                    std::uint32_t value = 0;
                    if (inet == IFLA_INET_CONF && conf.size() >= offset + sizeof value) {
                        std::memcpy(&value, conf.data() + offset, sizeof value);
                        link.rp_filter = static_cast<std::int32_t>(value);
                    }
                });
                if (inner) nested_problem = inner;
            });
        }
    });
    if (problem) return problem;
    if (nested_problem) return nested_problem;
    if (link.name.empty() || link.name.size() >= IFNAMSIZ || has_control_characters(link.name) ||
        link.name.find('/') != std::string::npos) {
        return fmt::format("link {} without a usable name", message.ifi_index);
    }
    const bool up = (message.ifi_flags & IFF_UP) != 0;
    if (carrier && up) link.carrier = *carrier != 0;
    // sysfs says "down" for an interface that is not up, whatever its last operstate.
    if (operstate) link.operstate = operstate_name(up ? *operstate : static_cast<std::uint8_t>(IF_OPER_DOWN));
    into.push_back(std::move(link));
    return std::nullopt;
}

}  // namespace

Result<bool> add_link_dump_datagram(std::string_view datagram, std::vector<LinkState>& into, std::string_view source) {
    return for_each_netlink_message(datagram, source, [&](std::uint16_t type, std::string_view payload) -> std::optional<std::string> {
        if (type != RTM_NEWLINK) return fmt::format("unexpected netlink message type {}", type);
        if (auto problem = read_link_message(payload, into)) return problem;
        if (into.size() > kMaxLinks) return fmt::format("more than {} links", kMaxLinks);
        return std::nullopt;
    });
}

Result<bool> add_qdisc_dump_datagram(std::string_view datagram, const std::map<int, std::string>& interface_names,
                                     std::vector<QdiscStats>& into, std::string_view source) {
    return for_each_netlink_message(datagram, source, [&](std::uint16_t type, std::string_view payload) -> std::optional<std::string> {
        if (type != RTM_NEWQDISC) return fmt::format("unexpected netlink message type {}", type);
        if (auto problem = read_qdisc_message(payload, interface_names, into)) return problem;
        if (into.size() > kMaxQdiscs) return fmt::format("more than {} qdiscs", kMaxQdiscs);
        return std::nullopt;
    });
}

}  // namespace netdiag
