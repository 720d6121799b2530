// Bounded mutation testing of every parser, part of the unit suite (and so of the ASan+UBSan run):
// real captured files, cut, flipped and spliced by a seeded generator. A parser must return a value
// or an error naming the file, never crash, hang or read out of bounds. The libFuzzer target
// (fuzz_parsers.cpp) explores further for a fixed time in CI.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/fuzz/parser_table.hpp"

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

std::string mutate(std::string text, std::mt19937_64& random) {
    auto pick = [&](std::size_t bound) { return bound == 0 ? 0 : static_cast<std::size_t>(random() % bound); };
    static constexpr std::string_view kTokens[] = {"\n", " ", ":", "-", ",", "\t", "\0", "ffffffffffffffffffff",
                                                   "-1", "CPU0", "Tcp:", "99999999999999999999", "\xff"};
    const int edits = 1 + static_cast<int>(pick(4));
    for (int i = 0; i < edits; ++i) {
        switch (pick(5)) {
            case 0: text.resize(pick(text.size() + 1)); break;  // truncated read
            case 1:
                if (!text.empty()) text[pick(text.size())] = static_cast<char>(random());
                break;
            case 2: {
                const auto token = kTokens[pick(std::size(kTokens))];
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
                const auto input = mutate(seed, random);
                const auto message = entry.run(input);
                if (!message.empty() && message.rfind("F:", 0) != 0) {
                    FAIL("error without the file name: " << message);
                }
            }
        }
    }
}
