// The Prometheus rendering: what node_exporter's textfile collector will accept and serve.
#include <catch2/catch.hpp>

#include <cmath>

#include "report/report.hpp"

using namespace netdiag;

namespace {

Finding finding(std::string check, Severity severity, std::string subject, double value) {
    Finding f;
    f.check = std::move(check);
    f.severity = severity;
    f.host = "web1";
    f.subject = std::move(subject);
    f.value = value;
    f.unit = "/s";
    f.threshold = 10;
    return f;
}

bool contains(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

}  // namespace

TEST_CASE("prometheus text: one series per finding, the worst standing for repeats", "[report]") {
    ScanReport report;
    report.generated_at_unix_ms = 1700000000500;
    HostResult web1;
    web1.host = "web1";
    web1.findings = {finding("rx-drops", Severity::warning, "eth0", 12),
                     finding("rx-drops", Severity::critical, "eth0", 2000),  // same series: the worst wins
                     finding("nic-saturation", Severity::unknown, "eth1", std::nan("")),
                     finding("rx-drops", Severity::info, "eth2", 1)};
    HostResult db1;
    db1.host = "db\"1\\\xff";  // quote, backslash and a byte that is not UTF-8
    db1.status = "timeout";
    report.hosts = {web1, db1};

    const auto text = render_prometheus(report);
    CHECK(contains(text, "netdiag_scan_timestamp_seconds{host=\"web1\"} 1700000000.5"));
    CHECK(contains(text, "netdiag_host_up{host=\"web1\"} 1"));
    CHECK(contains(text, "netdiag_host_status{host=\"web1\",status=\"ok\"} 1"));
    CHECK(contains(text, "netdiag_host_up{host=\"db\\\"1\\\\\xEF\xBF\xBD\"} 0"));
    CHECK(contains(text, "netdiag_host_status{host=\"db\\\"1\\\\\xEF\xBF\xBD\",status=\"timeout\"} 1"));
    CHECK(contains(text, "netdiag_findings{host=\"web1\",severity=\"critical\"} 1"));
    CHECK(contains(text, "netdiag_findings{host=\"web1\",severity=\"warning\"} 1"));
    CHECK(contains(text, "netdiag_finding_severity{host=\"web1\",check=\"rx-drops\",subject=\"eth0\"} 2"));
    CHECK(contains(text, "netdiag_finding_value{host=\"web1\",check=\"rx-drops\",subject=\"eth0\",unit=\"/s\"} 2000"));
    CHECK(contains(text, "netdiag_finding_severity{host=\"web1\",check=\"nic-saturation\",subject=\"eth1\"} 0"));
    CHECK(contains(text, "netdiag_finding_value{host=\"web1\",check=\"nic-saturation\",subject=\"eth1\",unit=\"/s\"} NaN"));
    CHECK(text.find("eth2") == std::string::npos);  // info is not a finding to alert on
    // Each family once, HELP and TYPE before its samples.
    // No series without a host: two netdiag files in one textfile directory must not collide.
    for (std::size_t line = 0; line < text.size(); line = text.find('\n', line) + 1) {
        if (text[line] == '#') continue;
        const auto labels = text.find_first_of("{ ", line);
        CHECK(text.substr(labels, 7) == "{host=\"");
    }
    for (const auto* family : {"netdiag_host_up", "netdiag_finding_severity", "netdiag_finding_value"}) {
        const auto type = "# TYPE " + std::string(family) + " gauge\n";
        REQUIRE(text.find(type) != std::string::npos);
        CHECK(text.find(type) == text.rfind(type));
        CHECK(text.find("# HELP " + std::string(family) + " ") < text.find(type));
        CHECK(text.find(type) < text.find(std::string(family) + "{"));
    }
}

TEST_CASE("prometheus label values are UTF-8 as node_exporter requires", "[report]") {
    ScanReport report;
    HostResult host;
    host.status = "ok";
    for (const std::string name : {"eth\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "caf\xc3\xa9", "\xe2\x82"}) {
        host.host = name;
        report.hosts = {host};
        const auto text = render_prometheus(report);
        INFO(name);
        const auto start = text.find("netdiag_host_up{host=\"") + 22;
        const auto label = text.substr(start, text.find('"', start) - start);
        if (name == "caf\xc3\xa9") {
            CHECK(label == name);  // valid UTF-8 is kept as it is
        } else {
            CHECK(label.find("\xEF\xBF\xBD") != std::string::npos);  // invalid bytes are replaced
        }
    }
}
