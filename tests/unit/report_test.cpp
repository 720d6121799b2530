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
    db1.host = "db\"1\\";
    db1.status = "timeout";
    report.hosts = {web1, db1};

    const auto text = render_prometheus(report);
    CHECK(contains(text, "netdiag_scan_timestamp_seconds 1700000000.5"));
    CHECK(contains(text, "netdiag_scan_exit_code 2"));
    CHECK(contains(text, "netdiag_host_up{host=\"web1\",status=\"ok\"} 1"));
    CHECK(contains(text, "netdiag_host_up{host=\"db\\\"1\\\\\",status=\"timeout\"} 0"));
    CHECK(contains(text, "netdiag_findings{host=\"web1\",severity=\"critical\"} 1"));
    CHECK(contains(text, "netdiag_findings{host=\"web1\",severity=\"warning\"} 1"));
    CHECK(contains(text, "netdiag_finding_severity{host=\"web1\",check=\"rx-drops\",subject=\"eth0\"} 2"));
    CHECK(contains(text, "netdiag_finding_value{host=\"web1\",check=\"rx-drops\",subject=\"eth0\",unit=\"/s\"} 2000"));
    CHECK(contains(text, "netdiag_finding_severity{host=\"web1\",check=\"nic-saturation\",subject=\"eth1\"} 0"));
    CHECK(contains(text, "netdiag_finding_value{host=\"web1\",check=\"nic-saturation\",subject=\"eth1\",unit=\"/s\"} NaN"));
    CHECK(text.find("eth2") == std::string::npos);  // info is not a finding to alert on
    // Each family once, HELP and TYPE before its samples.
    for (const auto* family : {"netdiag_host_up", "netdiag_finding_severity", "netdiag_finding_value"}) {
        const auto type = "# TYPE " + std::string(family) + " gauge\n";
        REQUIRE(text.find(type) != std::string::npos);
        CHECK(text.find(type) == text.rfind(type));
        CHECK(text.find("# HELP " + std::string(family) + " ") < text.find(type));
        CHECK(text.find(type) < text.find(std::string(family) + "{"));
    }
}
