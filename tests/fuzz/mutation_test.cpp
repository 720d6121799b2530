// Bounded mutation testing of every parser, and of the plan and journal readers, part of the unit
// suite (and so of the ASan+UBSan run): real captured files and a real plan and journal, cut,
// flipped and spliced by a seeded generator. A reader must return a value or an error naming the
// file, never crash, hang, throw or read out of bounds. The libFuzzer targets (fuzz_parsers.cpp,
// fuzz_remediation.cpp) explore further for a fixed time in CI.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/fuzz/parser_table.hpp"
#include "tests/fuzz/remediation_table.hpp"

using namespace netdiag;

namespace {

std::vector<std::string> seeds_for(const fuzz::ParserEntry& entry) {
    std::vector<std::string> seeds = {"", "\n", "0\n", ":\n", "  CPU0\n 1: 2 x y z\n"};
    if (entry.seed_path.empty()) {
        const std::uint64_t words[] = {6, 4096, 17, 100, 0, 0};
        seeds.emplace_back(reinterpret_cast<const char*>(words), sizeof(words));
        return seeds;
    }
    for (const auto& tree : std::filesystem::directory_iterator(NETDIAG_FIXTURES)) {
        std::ifstream in(tree.path() / entry.seed_path, std::ios::binary);
        if (!in) continue;
        std::stringstream text;
        text << in.rdbuf();
        seeds.push_back(text.str());
    }
    return seeds;
}

constexpr std::string_view kParserTokens[] = {"\n", " ", ":", "-", ",", "\t", std::string_view("\0", 1),
                                              "ffffffffffffffffffff", "-1", "CPU0", "Tcp:", "99999999999999999999",
                                              "\xff"};

template <class Tokens>
std::string mutate(std::string text, std::mt19937_64& random, const Tokens& tokens) {
    auto pick = [&](std::size_t bound) { return bound == 0 ? 0 : static_cast<std::size_t>(random() % bound); };
    const int edits = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < edits; ++i) {
        switch (pick(5)) {
            case 0: text.resize(pick(text.size() + 1)); break;  // truncated read
            case 1:
                if (!text.empty()) text[pick(text.size())] = static_cast<char>(random());
                break;
            case 2: {
                const auto token = tokens[pick(std::size(tokens))];
                text.insert(pick(text.size() + 1), token.data(), token.size());
                break;
            }
            case 3:
                if (!text.empty()) text.erase(pick(text.size()), 1 + pick(16));
                break;
            default: {  // a duplicated slice: repeated or misaligned lines
                const auto from = pick(text.size() + 1);
                const auto length = pick(64);
                text.insert(pick(text.size() + 1), text.substr(from, length));
                break;
            }
        }
    }
    return text;
}

}  // namespace

TEST_CASE("every parser survives mutated real files", "[parsers][fuzz]") {
    constexpr int kMutationsPerSeed = 400;
    std::mt19937_64 random(20261125);  // fixed: a failure reproduces
    for (const auto& entry : fuzz::parser_table()) {
        INFO("parser " << entry.name);
        for (const auto& seed : seeds_for(entry)) {
            for (int i = 0; i < kMutationsPerSeed; ++i) {
                const auto input = mutate(seed, random, kParserTokens);
                const auto message = entry.run(input);
                if (!message.empty() && message.rfind("F:", 0) != 0) {
                    FAIL("error without the file name: " << message);
                }
            }
        }
    }
}

namespace {

// tests/fuzz/seeds/NAME/*: a plan and a journal as `netdiag fix` writes them, and a few edges.
std::vector<std::string> reader_seeds(const fuzz::ReaderEntry& entry) {
    std::vector<std::string> seeds = {"", "{}", "[]", "null", "{\"schema\":7}"};
    const auto directory = std::filesystem::path(NETDIAG_SOURCE_DIR) / "tests/fuzz/seeds" / entry.name;
    for (const auto& file : std::filesystem::directory_iterator(directory)) {
        std::ifstream in(file.path(), std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        seeds.push_back(text.str());
    }
    return seeds;
}

}  // namespace

TEST_CASE("the plan, journal and Prometheus readers survive mutated real documents", "[remediation][fuzz]") {
    constexpr int kMutationsPerSeed = 1500;
    std::mt19937_64 random(20261202);  // fixed: a failure reproduces
    for (const auto& entry : fuzz::reader_table()) {
        INFO("reader " << entry.name);
        const auto seeds = reader_seeds(entry);
        REQUIRE(seeds.size() > 5);  // the real documents are there
        // The real documents load as they are.
        for (std::size_t i = 5; i < seeds.size(); ++i) CHECK(entry.run(seeds[i]).empty());
        for (const auto& seed : seeds) {
            for (int i = 0; i < kMutationsPerSeed; ++i) {
                const auto input = mutate(seed, random, fuzz::json_tokens());
                std::string message;
                try {
                    message = entry.run(input);
                } catch (const std::exception& error) {
                    FAIL("exception escaped: " << error.what() << " on input: " << input);
                }
                if (entry.names_file && !message.empty() && message.rfind("F:", 0) != 0) {
                    FAIL("error without the file name: " << message);
                }
            }
        }
    }
}
