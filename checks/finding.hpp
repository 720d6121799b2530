// What a check reports.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace netdiag {

// Ordered from least to most urgent; "unknown" means a check could not decide (no link speed).
enum class Severity { info, unknown, warning, critical };

std::string_view severity_name(Severity severity);

struct Finding {
    std::string check;    // catalogue id: "conntrack-fill"
    Severity severity = Severity::warning;
    std::string host;
    std::string subject;  // "eth0", "nf_conntrack", "port 8080", "CPU2"
    double value = 0;     // what was observed, in `unit`
    std::string unit;     // "%", "/s", "sockets"
    std::optional<double> threshold;  // the limit it crossed, in `unit`
    std::string message;  // what it saw, with numbers
    std::string why;      // one line: why it matters
    std::string action;   // the next step
    std::optional<std::string> cause;  // rx-drops: "backlog", "budget", "irq-affinity", "ring", "protocol"
    std::optional<std::string> fix;    // the fix id `netdiag fix` can apply
    std::map<std::string, std::string> details;
};

}  // namespace netdiag
