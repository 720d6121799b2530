// netdiag scan --prometheus, its pure parts: the HTTP framing, the API's answers, the http_config
// file, durations and times, and node_exporter's series turned into the catalogue's verdicts.
// tests/e2e/prometheus.sh runs the whole against a real Prometheus and node_exporters.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <regex>

#include "checks/catalogue.hpp"
#include "checks/rates.hpp"
#include "checks/settings.hpp"
#include "prometheus/availability.hpp"
#include "prometheus/http_client.hpp"
#include "prometheus/http_config.hpp"
#include "prometheus/node_snapshot.hpp"
#include "prometheus/prometheus_scan.hpp"
#include "prometheus/query_api.hpp"

using namespace netdiag;

namespace {

Series series(std::string name, std::vector<std::pair<std::string, std::string>> labels, double value) {
    labels.emplace_back("__name__", std::move(name));
    std::sort(labels.begin(), labels.end());
    return Series{std::move(labels), value};
}

std::vector<const Series*> pointers(const std::vector<Series>& all) {
    std::vector<const Series*> out;
    for (const auto& s : all) out.push_back(&s);
    return out;
}

// One node_exporter instance at one instant: eth0 with `drops` received packets dropped so far,
// 2 CPUs, the netstat and sockstat basics, conntrack `entries` of 1000 when given.
std::vector<Series> node(double at, double drops, std::optional<double> conntrack_entries = std::nullopt) {
    const std::pair<std::string, std::string> i{"instance", "web1:9100"}, eth0{"device", "eth0"};
    std::vector<Series> all = {
        series("node_network_receive_bytes_total", {i, eth0}, 1e6 * at),
        series("node_network_transmit_bytes_total", {i, eth0}, 1e6 * at),
        series("node_network_receive_packets_total", {i, eth0}, 1e4 * at),
        series("node_network_transmit_packets_total", {i, eth0}, 1e4 * at),
        series("node_network_receive_drop_total", {i, eth0}, drops),
        series("node_network_transmit_drop_total", {i, eth0}, 0),
        series("node_network_receive_errs_total", {i, eth0}, 0),
        series("node_network_transmit_errs_total", {i, eth0}, 0),
        series("node_network_speed_bytes", {i, eth0}, 1250000000),  // 10 Gb/s
        series("node_network_carrier", {i, eth0}, 1),
        series("node_network_carrier_changes_total", {i, eth0}, 2),
        series("node_network_info", {i, eth0, {"operstate", "up"}, {"duplex", "full"}}, 1),
        series("node_netstat_Tcp_RetransSegs", {i}, 10),
        series("node_netstat_Tcp_OutSegs", {i}, 1e5 * at),
        series("node_netstat_TcpExt_ListenOverflows", {i}, 0),
        series("node_netstat_Udp_RcvbufErrors", {i}, 0),
        series("node_netstat_Ip6_InReceives", {i}, 5),
        series("node_sockstat_TCP_tw", {i}, 12),
        series("node_sockstat_TCP_mem_bytes", {i}, 4096),
        series("node_sockstat_FRAG6_memory", {i}, 0),
        series("node_softnet_dropped_total", {i, {"cpu", "0"}}, 0),
        series("node_softnet_processed_total", {i, {"cpu", "0"}}, 1e4 * at),
        series("node_cpu_seconds_total", {i, {"cpu", "0"}, {"mode", "idle"}}, 0.9 * at),
        series("node_cpu_seconds_total", {i, {"cpu", "0"}, {"mode", "softirq"}}, 0.1 * at),
        series("node_boot_time_seconds", {i}, 1000),
        series("node_time_seconds", {i}, at),
        series("node_uname_info", {i, {"nodename", "web1"}, {"release", "6.1.0-13-amd64"}}, 1),
    };
    if (conntrack_entries) {
        all.push_back(series("node_nf_conntrack_entries", {i}, *conntrack_entries));
        all.push_back(series("node_nf_conntrack_entries_limit", {i}, 1000));
        for (const char* stat : {"drop", "early_drop", "insert_failed"}) {
            all.push_back(series(std::string("node_nf_conntrack_stat_") + stat, {i}, 0));
        }
    }
    return all;
}

bool has_finding(const HostResult& host, const std::string& check) {
    return std::any_of(host.findings.begin(), host.findings.end(), [&](const Finding& f) { return f.check == check; });
}

}  // namespace

TEST_CASE("prometheus: instant-vector answers parse without a document tree", "[prometheus]") {
    const auto parsed = parse_query_response(
        R"({"status":"success","data":{"resultType":"vector","result":[)"
        R"({"metric":{"instance":"a:9100","__name__":"up","job":"node"},"value":[1700000000.5,"1"]},)"
        R"({"metric":{"instance":"b:9100"},"value":[1700000000.5,"NaN"]}]}})");
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 2);
    CHECK(*(*parsed)[0].label("instance") == "a:9100");
    CHECK(*(*parsed)[0].label("__name__") == "up");
    CHECK_FALSE((*parsed)[0].label("device"));
    CHECK((*parsed)[0].value == 1);
    CHECK(std::isnan((*parsed)[1].value));

    const auto scalar = parse_query_response(R"({"status":"success","data":{"resultType":"scalar","result":[1,"42"]}})");
    REQUIRE(scalar);
    CHECK(scalar->front().value == 42);

    const auto refused = parse_query_response(R"({"status":"error","errorType":"bad_data","error":"parse error at char 4"})");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message == "Prometheus refused the query: bad_data: parse error at char 4");

    CHECK_FALSE(parse_query_response("<html>502 Bad Gateway</html>"));
    CHECK_FALSE(parse_query_response(R"({"status":"success","data":{"resultType":"matrix","result":[]}})"));
    CHECK_FALSE(parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[)"));  // cut off
    const auto word = parse_query_response(
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"many"]}]}})");
    REQUIRE_FALSE(word);
    CHECK(word.error().message.find("not a number") != std::string::npos);

    QueryLimits tight;
    tight.max_series = 1;
    const auto many = parse_query_response(
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]},{"metric":{},"value":[1,"2"]}]}})",
        tight);
    REQUIRE_FALSE(many);
    CHECK(many.error().message == "more than 1 series in one answer");
    CHECK(many.error().too_large);  // the same question about fewer instances may fit
    CHECK_FALSE(word.error().too_large);
}

TEST_CASE("prometheus: a series' labels, packed, come back as they were sent", "[prometheus]") {
    // Any bytes a server sends: a NUL inside a value, empty values, a label at the length limit.
    const std::string long_value(4096, 'x');
    const auto parsed = parse_query_response(
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"z":"last","a":"nul\u0000inside",)"
        R"("empty":"","long":")" + long_value + R"("},"value":[1,"7"]},{"metric":{"b":"second"},"value":[1,"8"]}]}})");
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 2);
    const auto& first = (*parsed)[0];
    CHECK(*first.label("a") == std::string_view("nul\0inside", 10));
    CHECK(first.label("empty") == std::string_view());
    CHECK(*first.label("long") == long_value);
    CHECK(*first.label("z") == "last");
    CHECK_FALSE(first.label("nul"));
    const auto labels = first.labels();
    REQUIRE(labels.size() == 4);
    CHECK(labels.front().first == "a");  // sorted by name
    CHECK(labels.back().first == "z");
    CHECK((*parsed)[1].labels().size() == 1);  // the reader's reused slots leave nothing behind
    CHECK(*(*parsed)[1].label("b") == "second");

    QueryLimits tight;
    tight.max_label_bytes = 4095;
    CHECK_FALSE(parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"long":")" +
                                     long_value + R"("},"value":[1,"7"]}]}})", tight));
}

TEST_CASE("prometheus: HTTP responses are framed and bounded", "[prometheus]") {
    auto plain = parse_http_response("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 10);
    REQUIRE(plain);
    CHECK(plain->status == 200);
    CHECK(plain->body == "{}");
    auto chunked = parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", 10);
    REQUIRE(chunked);
    CHECK(chunked->body == "abcde");
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 10));  // no last chunk
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{}", 100));               // cut off
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n01234567890123456789", 10));  // too big
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", 10));
    CHECK_FALSE(parse_http_response("SSH-2.0-OpenSSH_9.2\r\n\r\n", 10));
    CHECK_FALSE(parse_http_response("", 10));
    CHECK_FALSE(parse_http_response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nxx", 10));
}

TEST_CASE("prometheus: URLs, durations and times", "[prometheus]") {
    auto url = parse_http_url("https://[::1]:9443/prom/");
    REQUIRE(url);
    CHECK(url->tls);
    CHECK(url->host == "::1");
    CHECK(url->port == 9443);
    CHECK(url->base_path == "/prom");
    CHECK(url->url() == "https://[::1]:9443/prom");
    CHECK(parse_http_url("http://prometheus")->port == 80);
    CHECK_FALSE(parse_http_url("prometheus:9090"));
    CHECK_FALSE(parse_http_url("http://user:secret@prometheus:9090"));
    CHECK_FALSE(parse_http_url("http://prometheus:99999"));

    CHECK(*parse_prometheus_duration("5m") == 300);
    CHECK(*parse_prometheus_duration("1h30m") == 5400);
    CHECK(*parse_prometheus_duration("90s") == 90);
    CHECK(*parse_prometheus_duration("500ms") == 0.5);
    CHECK_FALSE(parse_prometheus_duration("5"));
    CHECK_FALSE(parse_prometheus_duration("m"));
    CHECK_FALSE(parse_prometheus_duration("0s"));

    CHECK(*parse_time_argument("2026-12-03T03:12:00Z") == 1796267520);
    CHECK(*parse_time_argument("2026-12-03T04:12:00+01:00") == 1796267520);
    CHECK(*parse_time_argument("1796267520") == 1796267520);
    CHECK_FALSE(parse_time_argument("yesterday"));
    CHECK_FALSE(parse_time_argument("2026-13-03T03:12:00Z"));

    CHECK(*parse_match_selector(R"({job="node",env="prod"})") == R"(job="node",env="prod")");
    CHECK(*parse_match_selector("") == "");
    CHECK_FALSE(parse_match_selector(R"(job="node")"));
    CHECK(names_regex({"web1.example:9100", "a|b"}) == R"(web1\\.example:9100|a\\|b)");
}

TEST_CASE("prometheus: http_config credentials and TLS, as Prometheus' clients take them", "[prometheus]") {
    std::map<std::string, std::string> files = {{"/pass", "s3cret\n"}, {"/token", "abc.def\n"}, {"/evil", "x\r\nHost: evil"}};
    const ReadCredential read = [&](const std::string& path) -> Result<std::string> {
        const auto found = files.find(path);
        if (found == files.end()) return make_error(path + ": No such file or directory");
        return found->second;
    };
    auto basic = parse_http_config("basic_auth:\n  username: netdiag\n  password_file: /pass\n", "http.yml", read);
    REQUIRE(basic);
    CHECK(*basic->authorization == "Basic " + base64("netdiag:s3cret"));
    CHECK(base64("netdiag:s3cret") == "bmV0ZGlhZzpzM2NyZXQ=");
    auto bearer = parse_http_config(
        "authorization:\n  credentials_file: /token\ntls_config:\n  ca_file: /ca.pem\n  server_name: prom.internal\n",
        "http.yml", read);
    REQUIRE(bearer);
    CHECK(*bearer->authorization == "Bearer abc.def");
    CHECK(*bearer->tls.ca_file == "/ca.pem");
    CHECK(*bearer->tls.server_name == "prom.internal");

    const auto evil = parse_http_config("bearer_token_file: /evil\n", "http.yml", read);
    REQUIRE_FALSE(evil);
    CHECK(evil.error().message.find("control characters") != std::string::npos);
    const auto unknown = parse_http_config("basic_auth:\n  username: a\n  pasword: b\n", "http.yml", read);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.rfind("http.yml:3: basic_auth: unknown key \"pasword\"", 0) == 0);
    const auto missing = parse_http_config("basic_auth:\n  username: a\n  password_file: /nope\n", "http.yml", read);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("/nope: No such file") != std::string::npos);
    CHECK_FALSE(parse_http_config("basic_auth: {username: a}\nbearer_token: b\n", "http.yml", read));
}

TEST_CASE("prometheus: node_exporter's series become the snapshot the checks read", "[prometheus]") {
    const auto settings = default_settings();
    const auto all = node(2000, 7, 900.0);
    const auto snapshot = snapshot_from_node_series("web1:9100", pointers(all), 2000, settings);
    CHECK(snapshot.host == "web1:9100");
    CHECK(*snapshot.hostname == "web1");
    REQUIRE(snapshot.net_dev);
    CHECK(snapshot.net_dev->front().rx_drop == 7);
    const auto* eth0 = find_interface(snapshot, "eth0");
    REQUIRE(eth0);
    CHECK(*eth0->speed_mbps == 10000);
    CHECK(*eth0->operstate == "up");
    CHECK(*eth0->duplex == "full");
    CHECK(snapshot.netstat->at("TcpExt").at("ListenOverflows") == 0);
    CHECK(snapshot.snmp->at("Tcp").at("RetransSegs") == 10);
    CHECK(snapshot.snmp6->at("Ip6").at("Ip6InReceives") == 5);
    CHECK(snapshot.sockstat->at("TCP").at("tw") == 12);
    CHECK(snapshot.sockstat->at("TCP").count("mem") == 0);  // mem_bytes is not sockstat's page count
    CHECK(snapshot.sockstat6->at("FRAG6").at("memory") == 0);
    CHECK(*snapshot.conntrack->count == 900);
    CHECK(snapshot.cpu_times->front().softirq == 20000);  // 200 s in ticks of 1/100 s
    CHECK(*snapshot.uptime_seconds == 1000);
    CHECK_FALSE(snapshot.tcp);  // no tcpstat collector: not available, never zero sockets
}

TEST_CASE("prometheus: an instance's verdict, and what its node_exporter cannot answer", "[prometheus]") {
    const auto settings = default_settings();
    // 300 s apart: 30,000 drops is 100/s on eth0; conntrack 95 % full.
    const auto before = node(1700, 0, 950.0), now = node(2000, 30000, 950.0);
    const auto host = evaluate_instance("web1:9100", pointers(before), pointers(now), {}, 2000, 300, settings);
    CHECK(host.status == "ok");
    CHECK(host.source == "prometheus");
    CHECK(*host.interval_seconds == Approx(300));
    CHECK(has_finding(host, "rx-drops"));
    CHECK(has_finding(host, "conntrack-fill"));
    CHECK_FALSE(has_finding(host, "tcp-retransmits"));
    // Data node_exporter does not export: said per check, with what would provide it.
    CHECK(host.not_checked.at("close-wait").find("not available from Prometheus: needs CLOSE_WAIT sockets by local port") == 0);
    CHECK(host.not_checked.at("syn-queue").find("--collector.netstat.fields") != std::string::npos);
    CHECK(host.not_checked.count("rx-drops") == 0);
    for (const auto& finding : host.findings) CHECK(host.not_checked.count(finding.check) == 0);

    // Without conntrack series the conntrack checks are not checked, never all clear.
    const auto bare_before = node(1700, 0), bare_now = node(2000, 0);
    const auto bare = evaluate_instance("web1:9100", pointers(bare_before), pointers(bare_now), {}, 2000, 300, settings);
    CHECK(bare.not_checked.at("conntrack-fill") ==
          "not available from Prometheus: no node_nf_conntrack_entries, node_nf_conntrack_entries_limit series for this "
          "instance");
    CHECK(bare.findings.empty());

    // eth0's counters reset inside the window (re-created): no rate for it rather than a wrong one.
    const auto reset = evaluate_instance("web1:9100", pointers(before), pointers(now), {"eth0"}, 2000, 300, settings);
    CHECK_FALSE(has_finding(reset, "rx-drops"));
    CHECK(reset.unavailable.count("prometheus: eth0") == 1);

    // Rebooted inside the window: level checks only, rate checks said not checked.
    auto rebooted_now = node(2000, 30000, 950.0);
    for (auto& s : rebooted_now) {
        if (*s.label("__name__") == "node_boot_time_seconds") s.value = 1900;
    }
    const auto rebooted = evaluate_instance("web1:9100", pointers(before), pointers(rebooted_now), {}, 2000, 300, settings);
    CHECK(has_finding(rebooted, "conntrack-fill"));
    CHECK_FALSE(has_finding(rebooted, "rx-drops"));
    CHECK(rebooted.not_checked.at("rx-drops") ==
          "not checked: rebooted inside the window (a rate needs both ends of the window)");

    const auto gone = evaluate_instance("web9:9100", {}, {}, {}, 2000, 300, settings);
    CHECK(gone.status == "error");
}

TEST_CASE("prometheus: netdiag's own textfile answers what node_exporter cannot", "[prometheus]") {
    const auto settings = default_settings();
    const std::pair<std::string, std::string> i{"instance", "web1:9100"}, host{"host", "localhost"};
    const std::pair<std::string, std::string> check{"check", "close-wait"}, subject{"subject", "port 8080"};
    const auto before = node(1700, 0);
    auto now = node(2000, 0);
    now.push_back(series("netdiag_host_up", {i, host}, 1));
    now.push_back(series("netdiag_scan_timestamp_seconds", {i, host}, 1940));
    now.push_back(series("netdiag_finding_severity", {i, host, check, subject}, 1));
    now.push_back(series("netdiag_finding_value", {i, host, check, subject, {"unit", "sockets"}}, 300));
    const auto answered = evaluate_instance("web1:9100", pointers(before), pointers(now), {}, 2000, 300, settings);
    CHECK(answered.not_checked.count("close-wait") == 0);
    CHECK(answered.not_checked.count("syn-queue") == 0);  // the local scan checked it: all clear there
    REQUIRE(has_finding(answered, "close-wait"));
    const auto& finding = answered.findings.front();
    CHECK(finding.severity == Severity::warning);
    CHECK(finding.subject == "port 8080");
    CHECK(finding.value == 300);
    CHECK(finding.message == "close-wait on port 8080: 300 sockets (netdiag's textfile, 60 s before)");
    CHECK_FALSE(finding.action.empty());

    // A textfile older than the window (and 10 minutes) is not an answer.
    for (auto& s : now) {
        if (*s.label("__name__") == "netdiag_scan_timestamp_seconds") s.value = 1000;
    }
    const auto stale = evaluate_instance("web1:9100", pointers(before), pointers(now), {}, 2000, 300, settings);
    CHECK(stale.not_checked.count("close-wait") == 1);
    CHECK_FALSE(has_finding(stale, "close-wait"));
}

TEST_CASE("prometheus: every check is covered, answerable or saying what it needs", "[prometheus]") {
    for (const auto& check : catalogue()) {
        const auto* coverage = find_prometheus_coverage(check.id);
        INFO(check.id);
        REQUIRE(coverage != nullptr);
        CHECK((!coverage->series.empty() || !coverage->needs.empty()));
    }
    CHECK(prometheus_coverage().size() == catalogue().size());
}

// A scan fetches only the series the rates and checks read (bench/prometheus: a quarter less work
// for Prometheus). These hold that nothing read is left out.
TEST_CASE("prometheus: every netdev counter the rates read is fetched at both ends and watched for resets",
          "[prometheus]") {
    const auto settings = default_settings();
    const std::regex at_instant{std::string(node_metric_regex())}, at_start{std::string(node_counter_regex())};
    const std::vector<std::string> all_netdev = {
        "node_network_receive_bytes_total",     "node_network_receive_packets_total",
        "node_network_receive_errs_total",      "node_network_receive_drop_total",
        "node_network_receive_fifo_total",      "node_network_receive_frame_total",
        "node_network_receive_compressed_total", "node_network_receive_multicast_total",
        "node_network_transmit_bytes_total",    "node_network_transmit_packets_total",
        "node_network_transmit_errs_total",     "node_network_transmit_drop_total",
        "node_network_transmit_fifo_total",     "node_network_transmit_colls_total",
        "node_network_transmit_carrier_total",  "node_network_transmit_compressed_total",
    };
    const std::pair<std::string, std::string> i{"instance", "web1:9100"}, eth0{"device", "eth0"};
    const auto instant = [&](double at, const std::string& grown) {
        std::vector<Series> all;
        for (const auto& name : all_netdev) all.push_back(series(name, {i, eth0}, name == grown ? 5000 : 1000));
        all.push_back(series("node_boot_time_seconds", {i}, 1000));
        all.push_back(series("node_time_seconds", {i}, at));
        return all;
    };
    const auto before = instant(1700, "");
    const auto rates_when = [&](const std::string& grown) {
        const auto now = instant(2000, grown);
        auto rates = compute_rates(snapshot_from_node_series("web1:9100", pointers(before), 1700, settings),
                                   snapshot_from_node_series("web1:9100", pointers(now), 2000, settings));
        REQUIRE(rates);
        return std::move(rates).value();
    };
    const auto unchanged = rates_when("");
    std::vector<std::string> read;
    for (const auto& name : all_netdev) {
        if (rates_when(name) != unchanged) read.push_back(name);
    }
    CHECK(read.size() == 9);
    const auto fetched = node_network_counters();
    for (const auto& name : read) {
        INFO(name);
        CHECK(std::find(fetched.begin(), fetched.end(), name) != fetched.end());
        CHECK(std::regex_match(name, at_instant));
        CHECK(std::regex_match(name, at_start));
    }
}

TEST_CASE("prometheus: levels read at the verdict's instant alone give the same rates and verdict", "[prometheus]") {
    const auto settings = default_settings();
    const std::regex at_instant{std::string(node_metric_regex())}, at_start{std::string(node_counter_regex())};
    const std::pair<std::string, std::string> i{"instance", "web1:9100"}, eth0{"device", "eth0"};
    const auto with_levels = [&](std::vector<Series> all) {
        for (const auto& [name, value] : std::vector<std::pair<std::string, double>>{
                 {"node_sockstat_TCP_inuse", 40}, {"node_sockstat_TCP_orphan", 1}, {"node_sockstat_UDP_mem", 3},
                 {"node_sockstat_sockets_used", 90}, {"node_memory_MemTotal_bytes", 8e9}}) {
            all.push_back(series(name, {i}, value));
        }
        all.push_back(series("node_network_mtu_bytes", {i, eth0}, 1500));
        all.push_back(series("node_network_flags", {i, eth0}, 4099));
        all.push_back(series("node_tcp_connection_states", {i, {"state", "time_wait"}}, 12));
        return all;
    };
    const auto before = with_levels(node(1700, 0, 950.0)), now = with_levels(node(2000, 30000, 950.0));
    std::vector<Series> before_fetched;
    for (const auto& s : before) {
        const std::string name(*s.label("__name__"));
        INFO(name);
        CHECK(std::regex_match(name, at_instant));
        if (std::regex_match(name, at_start)) before_fetched.push_back(s);
    }
    CHECK(before_fetched.size() < before.size());  // the levels are left out
    const auto snapshot_now = snapshot_from_node_series("web1:9100", pointers(now), 2000, settings);
    const auto full = compute_rates(snapshot_from_node_series("web1:9100", pointers(before), 1700, settings), snapshot_now);
    const auto counters_only =
        compute_rates(snapshot_from_node_series("web1:9100", pointers(before_fetched), 1700, settings), snapshot_now);
    REQUIRE(full);
    REQUIRE(counters_only);
    CHECK(*full == *counters_only);

    const auto verdict = evaluate_instance("web1:9100", pointers(before), pointers(now), {}, 2000, 300, settings);
    const auto fetched = evaluate_instance("web1:9100", pointers(before_fetched), pointers(now), {}, 2000, 300, settings);
    CHECK(has_finding(fetched, "rx-drops"));
    CHECK(has_finding(fetched, "conntrack-fill"));
    REQUIRE(fetched.findings.size() == verdict.findings.size());
    for (std::size_t k = 0; k < verdict.findings.size(); ++k) {
        CHECK(fetched.findings[k].check == verdict.findings[k].check);
        CHECK(fetched.findings[k].message == verdict.findings[k].message);
    }
    CHECK(fetched.not_checked == verdict.not_checked);
}
