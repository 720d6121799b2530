// Thresholds are finite numbers ≥ 0 wherever they come from: a NaN level never fires (x > NaN is
// false), an infinite one turns a check off, and both used to be accepted.
#include <catch2/catch.hpp>

#include "checks/settings.hpp"
#include "cmd/settings_options.hpp"
#include "common/exit_codes.hpp"
#include "remote/inventory.hpp"

using namespace netdiag;

TEST_CASE("--threshold refuses NaN, infinities and negatives, naming the key") {
    for (const std::string value : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "-1", "-0.5", "1e999"}) {
        INFO(value);
        Settings settings = default_settings();
        const auto status = set_threshold(settings, "rx-drops.critical=" + value);
        REQUIRE_FALSE(status);
        CHECK(status.error().message ==
              "--threshold: threshold \"rx-drops.critical\" needs a number ≥ 0, not \"" + value + "\"");
        CHECK(settings.threshold("rx-drops.critical") == 1000);
    }
    Settings settings = default_settings();
    REQUIRE(set_threshold(settings, "rx-drops.critical=2500.5"));
    CHECK(settings.threshold("rx-drops.critical") == 2500.5);
    REQUIRE(set_threshold(settings, "rx-drops.warning=0"));
}

TEST_CASE("build_settings: a bad --threshold is a usage error (64), a bad --config file a data error (65)") {
    SettingsOptions flags;
    flags.thresholds = {"conntrack-fill.critical=nan"};
    int exit_code = 0;
    auto built = build_settings(flags, &exit_code);
    REQUIRE_FALSE(built);
    CHECK(exit_code == exit_code::kUsage);
    CHECK(built.error().message.find("conntrack-fill.critical") != std::string::npos);
}

TEST_CASE("--config and inventory netdiag: vars refuse NaN and infinities with file:line") {
    for (const std::string value : {"nan", "inf", "-inf", "-3"}) {
        INFO(value);
        Settings settings = default_settings();
        const auto status = apply_config(settings, "thresholds:\n  conntrack-fill.critical: " + value + "\n", "c.yaml");
        REQUIRE_FALSE(status);
        CHECK(status.error().message ==
              "c.yaml:2: threshold \"conntrack-fill.critical\" needs a number ≥ 0, not \"" + value + "\"");
        const auto inventory = parse_inventory(
            "all:\n  vars:\n    netdiag:\n      thresholds:\n        rx-drops.warning: " + value + "\n  hosts: {a:}\n",
            "inv.yaml", default_settings());
        REQUIRE_FALSE(inventory);
        CHECK(inventory.error().message ==
              "inv.yaml:5: threshold \"rx-drops.warning\" needs a number ≥ 0, not \"" + value + "\"");
    }
}

TEST_CASE("threshold messages print a hostile key or value escaped") {
    Settings settings = default_settings();
    const auto status = set_threshold(settings, "rx-drops.critical=\x1b[8mnan");
    REQUIRE_FALSE(status);
    CHECK(status.error().message.find('\x1b') == std::string::npos);
    CHECK(status.error().message.find("\\x1b[8mnan") != std::string::npos);
}
