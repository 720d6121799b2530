// Exit codes scripts and monitoring act on: Nagios' 0-3, then sysexits.h for the rest.
#pragma once

namespace netdiag::exit_code {

inline constexpr int kOk = 0;          // all clear
inline constexpr int kWarning = 1;     // warnings, no critical findings
inline constexpr int kCritical = 2;    // at least one critical finding
inline constexpr int kUnknown = 3;     // a host could not be reached, read or fully checked
inline constexpr int kUsage = 64;      // command-line misuse (EX_USAGE)
inline constexpr int kDataError = 65;  // bad input data: inventory, snapshot, config (EX_DATAERR)
inline constexpr int kUnavailable = 69;  // the Prometheus server cannot be asked or refuses (EX_UNAVAILABLE)
inline constexpr int kInternal = 70;   // a bug in netdiag (EX_SOFTWARE)
inline constexpr int kCannotWrite = 73;  // the -o output file could not be written (EX_CANTCREAT)
inline constexpr int kInterrupted = 130;  // Ctrl-C, as shells report it; what finished is printed

inline constexpr const char* kHelpText =
    "Exit codes: 0 all clear, 1 warnings, 2 critical findings, 3 unknown (a host could not be\n"
    "reached or read, or a file a check needs exists but does not parse), 64 command-line misuse,\n"
    "65 bad input data, 69 Prometheus unreachable or refusing a query, 70 internal error, 73 the -o file could not be written, 130 interrupted\n"
    "(what finished is still reported).";

}  // namespace netdiag::exit_code
