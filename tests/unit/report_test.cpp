// The renderings: what node_exporter's textfile collector will accept and serve, the exit code, and
// that nothing a host sends reaches a terminal raw.
#include <catch2/catch.hpp>

#include <algorithm>
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
    // Unknown: nothing was measured, so no value (a dashboard would read 0 as "0 % used").
    CHECK(text.find("netdiag_finding_value{host=\"web1\",check=\"nic-saturation\"") == std::string::npos);
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

namespace {

// A host whose /proc/net/dev did not parse: what evaluate_samples makes of it.
HostResult host_with_unparsable_net_dev() {
    HostResult host;
    host.host = "web1";
    const std::string error = "/proc/net/dev:4: eth0: counter \"99999999999999999999999999\" does not fit in 64 bits";
    host.unparsable["/proc/net/dev"] = error;
    host.unavailable["/proc/net/dev"] = error;
    for (const char* check : {"nic-errors", "rx-drops"}) {
        Finding f = finding(check, Severity::unknown, "/proc/net/dev", 0);
        f.threshold.reset();
        f.unit.clear();
        f.message = error + "; " + check + " cannot decide without it";
        f.details = {{"file", "/proc/net/dev"}, {"line", "4"}, {"error", error}};
        host.findings.push_back(f);
    }
    return host;
}

bool has_raw_control(const std::string& text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte < 0x20 && c != '\n') || byte == 0x7f;
    });
}

}  // namespace

TEST_CASE("a file that does not parse makes the scan unknown (3) unless a critical makes it 2", "[report]") {
    ScanReport report;
    report.hosts = {host_with_unparsable_net_dev()};
    CHECK(scan_exit_code(report) == 3);

    HostResult warned;
    warned.host = "web2";
    warned.findings = {finding("rx-drops", Severity::warning, "eth0", 12)};
    report.hosts.push_back(warned);
    CHECK(scan_exit_code(report) == 3);
    report.hosts.back().findings.push_back(finding("rx-drops", Severity::critical, "eth1", 2000));
    CHECK(scan_exit_code(report) == 2);

    // An unknown of a check that could decide nothing for want of a link speed raises nothing.
    ScanReport vm;
    HostResult no_speed;
    no_speed.host = "vm1";
    no_speed.findings = {finding("nic-saturation", Severity::unknown, "eth0", 0)};
    vm.hosts = {no_speed};
    CHECK(scan_exit_code(vm) == 0);
}

TEST_CASE("every format says which file did not parse, and where", "[report]") {
    ScanReport report;
    report.hosts = {host_with_unparsable_net_dev()};
    const auto table = render_table(report, TableOptions{});
    CHECK_THAT(table, Catch::Contains("1 host(s) not fully checked"));
    CHECK_THAT(table, Catch::Contains("web1: does not parse: /proc/net/dev:4: eth0: counter"));
    CHECK_THAT(table, Catch::Contains("UNKNOWN   web1  rx-drops"));
    CHECK_THAT(table, !Catch::Contains("all clear"));

    const auto nagios = render_nagios(report);
    CHECK_THAT(nagios, Catch::StartsWith("NETDIAG UNKNOWN - 0 critical, 0 warning, 1 host(s) not fully checked: "
                                         "web1: /proc/net/dev:4: eth0: counter"));

    const auto json = render_json(report);
    CHECK(json["exit_code"] == 3);
    CHECK(json["summary"]["hosts_not_fully_checked"] == 1);
    CHECK(json["hosts"][0]["unparsable"]["/proc/net/dev"] == report.hosts[0].unparsable.at("/proc/net/dev"));

    const auto prometheus = render_prometheus(report);
    CHECK(contains(prometheus, "netdiag_unparsable_file{host=\"web1\",file=\"/proc/net/dev\",line=\"4\"} 1"));
    CHECK(contains(prometheus, "netdiag_finding_severity{host=\"web1\",check=\"rx-drops\",subject=\"/proc/net/dev\"} 0"));
    CHECK(contains(prometheus, "netdiag_findings{host=\"web1\",severity=\"unknown\"} 2"));
}

TEST_CASE("names from hosts reach no terminal raw", "[report]") {
    ScanReport report;
    HostResult host;
    host.host = "h\x1b]0;owned\x07";
    Finding f = finding("rx-drops", Severity::critical, "e\x1b[2K\x1b[1Ah0|x'y", 2000);
    f.host = host.host;
    f.message = "e\x1b[2K\x1b[1Ah0 drops 2000 received packets/s\r\xc2\x9b";
    f.why = "why";
    f.action = "do";
    host.findings = {f};
    host.unavailable["/sys/class/net/e\x1b[8m/speed"] = "unreadable\x1b[0m";
    HostResult down;
    down.host = "db1";
    down.status = "error";
    down.error = "banner \x1b[31mred";
    report.hosts = {host, down};

    TableOptions verbose;
    verbose.verbose = true;
    verbose.detail = true;
    const auto table = render_table(report, verbose);
    CHECK_FALSE(has_raw_control(table));
    CHECK_THAT(table, Catch::Contains("e\\x1b[2K\\x1b[1Ah0"));
    CHECK_THAT(table, Catch::Contains("\\xc2\\x9b"));  // a C1 CSI is a control character too
    CHECK_THAT(table, Catch::Contains("banner \\x1b[31mred"));
    CHECK_THAT(table, Catch::Contains("/sys/class/net/e\\x1b[8m/speed: unreadable\\x1b[0m"));
    report.hosts.resize(1);  // one host: the findings table rather than the fleet summary
    CHECK_FALSE(has_raw_control(render_table(report, verbose)));

    const auto nagios = render_nagios(report);
    CHECK_FALSE(has_raw_control(nagios.substr(0, nagios.size() - 1)));
    // One '|' only, before the performance data; a quote in a label is doubled.
    CHECK(nagios.find('|') == nagios.rfind('|'));
    CHECK_THAT(nagios, Catch::Contains("e\\x1b[2K\\x1b[1Ah0\\x7cx'y"));
    CHECK_THAT(nagios, Catch::Contains("'h\\x1b]0;owned\\x07 rx-drops e\\x1b[2K\\x1b[1Ah0\\x7cx''y'=2000"));

    const auto prometheus = render_prometheus(report);
    CHECK_FALSE(has_raw_control(prometheus));
    CHECK(prometheus.find("\xc2\x9b") == std::string::npos);
}

TEST_CASE("prometheus: names that differ only in replaced bytes make one series, not a rejected file", "[report]") {
    ScanReport report;
    HostResult host;
    host.host = "web1";
    host.findings = {finding("rx-drops", Severity::warning, "eth\xff", 12),
                     finding("rx-drops", Severity::critical, "eth\xfe", 2000),
                     finding("rx-drops", Severity::warning, "eth\x1b", 20)};
    report.hosts = {host};
    const auto text = render_prometheus(report);
    const std::string series = "netdiag_finding_severity{host=\"web1\",check=\"rx-drops\",subject=\"eth\xEF\xBF\xBD\"} 2";
    CHECK(contains(text, series));
    CHECK(text.find("netdiag_finding_severity{") == text.rfind("netdiag_finding_severity{"));
}
