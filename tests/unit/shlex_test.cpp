// Words split as Python's shlex splits them (Ansible's INI lines and ssh args); each expectation
// is what python3's shlex.split gives for the same text.
#include <catch2/catch.hpp>

#include "common/shlex.hpp"

using namespace netdiag;

TEST_CASE("shlex: quotes and backslashes as Python's shlex takes them", "[shlex]") {
    CHECK(*shlex_split(R"(-o 'ProxyCommand=ssh -W %h:%p bastion' "a \"b\"" c\ d)", false) ==
          std::vector<std::string>{"-o", "ProxyCommand=ssh -W %h:%p bastion", "a \"b\"", "c d"});
    // Inside double quotes only \" and \\ are escapes (sh would also take \$): shlex.split gives
    // ['a \\$b "c" \\d', 'e f', '', 'g'].
    CHECK(*shlex_split(R"("a \$b \"c\" \\d" e\ f '' g)", false) ==
          std::vector<std::string>{R"(a \$b "c" \d)", "e f", "", "g"});
    CHECK(*shlex_split("a\r\nb\tc", false) == std::vector<std::string>{"a", "b", "c"});
    CHECK(shlex_split("", false)->empty());
}

TEST_CASE("shlex: comments, and what cannot be split", "[shlex]") {
    CHECK(*shlex_split("h1 x=1 # c", true) == std::vector<std::string>{"h1", "x=1"});
    CHECK(*shlex_split("h1 x=a#b", true) == std::vector<std::string>{"h1", "x=a"});
    CHECK(*shlex_split("h1 \"x#y\" z", true) == std::vector<std::string>{"h1", "x#y", "z"});
    CHECK(*shlex_split("h1 x=a#b", false) == std::vector<std::string>{"h1", "x=a#b"});
    CHECK(shlex_split("-o 'open", false).error().message == "unbalanced ' quote");
    CHECK(shlex_split("-o \"open", false).error().message == "unbalanced \" quote");
    CHECK(shlex_split("a\\", false).error().message == "a backslash at the end");
}
