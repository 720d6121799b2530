// Reading a whole file in a test: a file that cannot be opened fails the test where it is read.
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace netdiag::test {

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    INFO(path);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace netdiag::test
