#include "prometheus/query_api.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/text.hpp"

namespace netdiag {

namespace {

void append_length(std::string& out, std::size_t length) {
    out.push_back(static_cast<char>(length & 0xff));
    out.push_back(static_cast<char>((length >> 8) & 0xff));
}

// Labels sorted by name into one string; names and values of at most 65535 bytes (QueryLimits).
std::string pack_labels(std::span<std::pair<std::string, std::string>> labels) {
    std::sort(labels.begin(), labels.end());
    std::size_t size = 0;
    for (const auto& [name, text] : labels) size += 4 + name.size() + text.size();
    std::string packed;
    packed.reserve(size);
    for (const auto& [name, text] : labels) {
        append_length(packed, std::min<std::size_t>(name.size(), 0xffff));
        packed.append(name, 0, 0xffff);
        append_length(packed, std::min<std::size_t>(text.size(), 0xffff));
        packed.append(text, 0, 0xffff);
    }
    return packed;
}

// Walks the packed labels: f(name, value) for each until it returns true.
template <class F>
void for_each_label(std::string_view packed, F&& f) {
    std::size_t at = 0;
    const auto field = [&]() -> std::optional<std::string_view> {
        if (packed.size() - at < 2) return std::nullopt;
        const std::size_t length = static_cast<unsigned char>(packed[at]) | (static_cast<unsigned char>(packed[at + 1]) << 8);
        if (packed.size() - at - 2 < length) return std::nullopt;
        const auto text = packed.substr(at + 2, length);
        at += 2 + length;
        return text;
    };
    while (at < packed.size()) {
        const auto name = field();
        const auto text = name ? field() : std::nullopt;
        if (!name || !text || f(*name, *text)) return;
    }
}

}  // namespace

Series::Series(std::vector<std::pair<std::string, std::string>> labels, double sample)
    : packed_labels(pack_labels(labels)), value(sample) {}

std::optional<std::string_view> Series::label(std::string_view name) const {
    std::optional<std::string_view> found;
    for_each_label(packed_labels, [&](std::string_view key, std::string_view text) {
        if (key == name) found = text;
        return found.has_value();
    });
    return found;
}

std::vector<std::pair<std::string_view, std::string_view>> Series::labels() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    for_each_label(packed_labels, [&](std::string_view key, std::string_view text) {
        out.emplace_back(key, text);
        return false;
    });
    return out;
}

namespace {

// Prometheus' sample values: decimal text, or "NaN", "+Inf", "-Inf".
std::optional<double> sample_value(std::string_view text) {
    if (text == "NaN") return std::nan("");
    if (text == "+Inf" || text == "Inf") return HUGE_VAL;
    if (text == "-Inf") return -HUGE_VAL;
    return parse_double(text);
}

// Walks {"status":..., "data":{"resultType":..., "result":[{"metric":{...}, "value":[t, "v"]}]},
// "errorType":..., "error":...} keeping only what a series needs. Anything deeper or elsewhere is
// skipped; anything malformed stops the parse with a reason.
class ResponseReader : public nlohmann::json::json_sax_t {
public:
    explicit ResponseReader(const QueryLimits& limits) : limits_(limits) {}

    std::vector<Series> series;
    std::string status, error_type, error, result_type;
    std::optional<std::string> scalar_value;
    std::string problem;
    bool too_large = false;

    bool null() override { return scalar(""); }
    bool boolean(bool) override { return scalar(""); }
    bool number_integer(number_integer_t) override { return scalar(""); }
    bool number_unsigned(number_unsigned_t) override { return scalar(""); }
    bool number_float(number_float_t, const string_t&) override { return scalar(""); }
    bool binary(binary_t&) override { return scalar(""); }
    bool string(string_t& value) override { return scalar(value); }

    bool start_object(std::size_t) override {
        path_.push_back(Frame{Frame::object, key_});
        if (in_result_item() && path_.size() == 4) {
            series_.emplace();
            label_count_ = 0;
        }
        return true;
    }
    bool end_object() override {
        if (in_result_item() && path_.size() == 4) {
            if (!series_ || !value_seen_) return fail("a series without a value");
            series_->packed_labels = pack_labels(std::span(labels_).first(label_count_));
            if (series.size() >= limits_.max_series) {
                too_large = true;
                return fail(fmt::format("more than {} series in one answer", limits_.max_series));
            }
            series.push_back(std::move(*series_));
            series_.reset();
            value_seen_ = false;
        }
        path_.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        path_.push_back(Frame{Frame::array, key_});
        array_index_ = 0;
        return true;
    }
    bool end_array() override {
        path_.pop_back();
        return true;
    }
    bool key(string_t& name) override {
        key_ = name;
        return true;
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::json::exception&) override {
        if (problem.empty()) problem = fmt::format("the answer is not JSON (at byte {})", position);
        return false;
    }

private:
    struct Frame {
        enum Kind { object, array } kind;
        std::string key;  // the key this container is the value of
    };

    // data.result[i]: path = [root, data, result(array), item]
    bool in_result_item() const {
        return path_.size() >= 4 && path_[1].key == "data" && path_[2].key == "result" && path_[2].kind == Frame::array;
    }

    bool fail(std::string why) {
        if (problem.empty()) problem = std::move(why);
        return false;
    }

    bool scalar(const std::string& text) {
        const auto depth = path_.size();
        if (depth == 1) {
            if (key_ == "status") status = text;
            if (key_ == "errorType") error_type = text.substr(0, 200);
            if (key_ == "error") error = text.substr(0, 1000);
        } else if (depth == 2 && path_[1].key == "data" && key_ == "resultType") {
            result_type = text;
        } else if (depth == 3 && path_[1].key == "data" && path_[2].key == "result" && path_[2].kind == Frame::array) {
            // A scalar result: [time, "value"].
            if (array_index_++ == 1) scalar_value = text;
        } else if (depth == 5 && in_result_item() && series_ && path_[4].key == "metric" &&
                   path_[4].kind == Frame::object) {
            if (label_count_ >= limits_.max_labels_per_series) return fail("a series has too many labels");
            const auto max_bytes = std::min<std::size_t>(limits_.max_label_bytes, 0xffff);
            if (key_.size() > max_bytes || text.size() > max_bytes) {
                return fail("a label is longer than " + std::to_string(max_bytes) + " bytes");
            }
            // The slots of earlier series are reused: their strings keep their capacity.
            if (label_count_ < labels_.size()) {
                labels_[label_count_].first.assign(key_);
                labels_[label_count_].second.assign(text);
            } else {
                labels_.emplace_back(key_, text);
            }
            ++label_count_;
        } else if (depth == 5 && in_result_item() && series_ && path_[4].key == "value" &&
                   path_[4].kind == Frame::array) {
            if (array_index_++ == 1) {
                const auto value = sample_value(text);
                if (!value) return fail(fmt::format("a sample value is not a number: {}", printable(text.substr(0, 40))));
                series_->value = *value;
                value_seen_ = true;
            }
        }
        return true;
    }

    const QueryLimits& limits_;
    std::vector<Frame> path_;
    std::string key_;
    std::size_t array_index_ = 0;
    std::optional<Series> series_;
    std::vector<std::pair<std::string, std::string>> labels_;  // the series being read: the first label_count_
    std::size_t label_count_ = 0;
    bool value_seen_ = false;
};

}  // namespace

Result<std::vector<Series>> parse_query_response(std::string_view body, const QueryLimits& limits) {
    ResponseReader reader(limits);
    const bool parsed = nlohmann::json::sax_parse(body.begin(), body.end(), &reader);
    if (reader.status == "error") {
        return make_error(fmt::format("Prometheus refused the query: {}{}{}", reader.error_type,
                                      reader.error_type.empty() ? "" : ": ", printable(reader.error)));
    }
    if (!parsed) return Error{reader.problem.empty() ? "the answer is not JSON" : reader.problem, reader.too_large};
    if (reader.status != "success") return make_error("the answer is not a Prometheus API response (no \"status\")");
    if (reader.result_type == "scalar") {
        const auto value = reader.scalar_value ? sample_value(*reader.scalar_value) : std::nullopt;
        if (!value) return make_error("a scalar answer without a value");
        return std::vector<Series>{Series{{}, *value}};
    }
    if (reader.result_type != "vector") {
        return make_error(fmt::format("expected an instant vector, got \"{}\"", printable(reader.result_type)));
    }
    return std::move(reader.series);
}

Result<std::vector<Series>> PrometheusClient::query(const std::string& promql, double at_unix_seconds) const {
    const auto form = fmt::format("query={}&time={:.3f}", form_escape(promql), at_unix_seconds);
    const auto named = [&](const std::string& why, bool too_large = false) {
        return Error{fmt::format("{}: query {}{}: {}", http.endpoint.url(), printable(promql.substr(0, 200)),
                                 promql.size() > 200 ? "..." : "", why),
                     too_large};
    };
    auto response = http_post_form(http, "/api/v1/query", form);
    if (!response) return response.error();
    // The API answers errors (400 bad_data, 422 execution, 503 timeout) with a JSON body that says why.
    auto parsed = parse_query_response(response->body, limits);
    if (response->status != 200) {
        if (!parsed && starts_with(parsed.error().message, "Prometheus refused")) return named(parsed.error().message);
        return named(fmt::format("HTTP {}{}", response->status,
                                 response->status == 401 || response->status == 403
                                     ? " (check the credentials in --prometheus-config)"
                                     : ""));
    }
    if (!parsed) return named(parsed.error().message, parsed.error().too_large);
    return parsed;
}

}  // namespace netdiag
