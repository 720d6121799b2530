#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "cmd/commands.hpp"
#include "remote/ssh_transport.hpp"

int main(int argc, char** argv) {
    // glibc gives each worker thread an arena of its own, which keeps what a host's sample freed:
    // at --forks 32 that doubled the scanner's memory (bench/fanout: 36 MB, 19 MB with two) for no
    // speed. Two arenas, unless the environment chooses.
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    if (std::getenv("MALLOC_ARENA_MAX") == nullptr && (tunables == nullptr || std::strstr(tunables, "arena_max") == nullptr)) {
        mallopt(M_ARENA_MAX, 2);
    }
    const netdiag::SshLibrary ssh;  // before any worker thread opens a session
    return netdiag::run_cli(argc, argv);
}
