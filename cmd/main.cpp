#include "cmd/commands.hpp"
#include "remote/ssh_transport.hpp"

int main(int argc, char** argv) {
    const netdiag::SshLibrary ssh;  // before any worker thread opens a session
    return netdiag::run_cli(argc, argv);
}
