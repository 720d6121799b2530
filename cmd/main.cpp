#include "cmd/commands.hpp"

int main(int argc, char** argv) { return netdiag::run_cli(argc, argv); }
