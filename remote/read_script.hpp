// What netdiag sends a remote shell, and the pure parsers of what comes back: the sample read (every
// requested file and link target between random boundaries), writes, removals and lstat. Nothing
// but sh and coreutils is needed on the host.
//
// The login shell (bash, dash, zsh, fish, tcsh, ...) only ever parses one of the fixed command
// lines below, which hold no value and mean the same to all of them; scripts, with their values
// shell-quoted for /bin/sh alone, travel on stdin.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "remote/transport.hpp"

namespace netdiag {

// `boundary` must be random per request (so no file's content can fake a frame). A well-formed
// ring path among the files ("ethtool-ring:eth0:rx") runs `ethtool -g IF` (LC_ALL=C, /usr/sbin and
// /sbin added to PATH, as make_link_stats_script); a malformed one is left out of the script
// (SshTransport::read answers it with an error).
// With request.tcp_summary, /proc/net/tcp and tcp6 are summarised on the host by awk
// (make_tcp_summary_script) into one read of kTcpSummaryPath; a host without awk sends the files.
std::string make_read_script(const ReadRequest& request, std::string_view boundary);

// A POSIX awk program over `tables` (files in /proc/net/tcp's format) that prints what
// parse_tcp_summary reads: the socket table reduced to counts by state and port on the host.
// `tables` must be plain paths (no quotes needed: the collector's own).
std::string make_tcp_summary_script(const std::vector<std::string>& tables);

// Errors name `host` when the output is cut short or not framed as expected. A ring path's read
// comes back as its size ("256\n"): an interface that does not exist is "missing"; one without
// rings, no ethtool, or an answer that does not parse is an error.
Result<std::vector<FileRead>> parse_read_script_output(std::string_view output, std::string_view boundary,
                                                       std::string_view host);

// Egress qdiscs and NIC rings in one script: `tc -s qdisc show`, and when `with_rings` `ethtool -g`
// for each interface under /sys/class/net that has a `device` (at most 1024; names the host lists
// itself, and only those of plain characters, so no name travels into a command line). LC_ALL=C;
// /usr/sbin and /sbin are added to PATH, where a non-root login on Debian lacks them.
std::string make_link_stats_script(std::string_view boundary, bool with_rings);

// The script's output: qdiscs absent with a Problem when tc is missing or fails or its text does
// not parse; rings kept for the interfaces in `wanted` only, absent when ethtool is missing. An
// interface whose driver has no rings ("Operation not supported") is simply left out. Errors name
// `host` when the output is cut short or not framed as expected.
Result<LinkStats> parse_link_stats_output(std::string_view output, std::string_view boundary, std::string_view host,
                                          bool with_rings, const std::vector<std::string>& wanted);

// Paths only root may read: a login that is not root reads them through `sudo -n` where it may
// (netdiag's journals, debugfs's IRQ flags).
bool read_needs_root(std::string_view path);

// Quotes a string for a POSIX shell, glob characters included: 'it'\''s'.
std::string shell_quote(std::string_view text);

// The command that runs a whole script sent on stdin: "timeout 30 /bin/sh -s", through `sudo -n`
// when `sudo`. Send it wrap_stdin_script(script): what the script runs cannot eat its own text.
std::string script_command(std::chrono::seconds timeout, bool sudo);
std::string wrap_stdin_script(std::string_view script);
// The same for a script whose output alone matters (its exit status is dd's): the output reaches
// the channel in 64 KiB writes, not in the many small ones printf makes.
std::string wrap_buffered_stdin_script(std::string_view script);

// The command that runs a one-line script sent first on stdin, followed by data for the script to
// read: sh's `read` builtin takes the line a byte at a time, so nothing after it is consumed.
std::string line_script_command(std::chrono::seconds timeout, bool sudo);

// Why a path cannot be handed to the remote scripts: not absolute, or holding control characters
// (a newline would end a one-line script). Empty when it can.
std::string unusable_remote_path(std::string_view path);

// One-line scripts for line_script_command. Regular files: `content` follows on stdin into a temp
// created exclusively beside `path`, given file_mode(access), synced and renamed over `path` (never
// into a directory); missing directories are made 0755, the file's own directory_mode(access); a
// symlink, directory or other non-regular file at `path` is refused.
std::string make_write_script(std::string_view path, FileAccess access);
// /proc and /sys: the content (in the script, so one line) written in place with one write by
// tee, whose error keeps errno's text (EIO, EPERM from a kernel-managed IRQ).
std::string make_kernel_write_script(std::string_view path, std::string_view content);
// Sets one NIC ring, as root: `ethtool -G IF rx|tx SIZE` (LC_ALL=C, /usr/sbin and /sbin on PATH).
// The name is checked again by the script ([A-Za-z0-9_.@+-], at most 15, no leading '-'); ethtool's
// exit 80 ("no ring parameters changed", the ioctl ethtool's answer to the size it already has)
// counts as done, since the read back decides. `size` must be 1..kMaxRingSize.
std::string make_ring_write_script(const RingPath& ring, std::uint32_t size);
// Removes a regular file; a symlink or directory at `path` is refused, a missing file is fine.
std::string make_remove_script(std::string_view path);
// Removes a directory if it is empty (a non-empty or missing one is kept, exit 0); a symlink or a
// non-directory at `path` is refused.
std::string make_remove_directory_script(std::string_view path);

// Probe of who the login is and whether it may write as root: prints "UID root", "UID sudo",
// "UID denied" (sudo -n refuses) or "UID nosudo" (no sudo command). No message is parsed.
std::string make_privilege_script();

// lstat of each path, one line each in order ("E TYPE MODE UID", "N" missing, "U" cannot tell),
// then "END". Paths must have passed unusable_remote_path().
std::string make_inspect_script(const std::vector<std::string>& paths);
// `trusted_uid` is the login's uid (root is always trusted).
Result<std::vector<FileStatus>> parse_inspect_output(std::string_view output, const std::vector<std::string>& paths,
                                                     unsigned long trusted_uid, std::string_view host);

}  // namespace netdiag
