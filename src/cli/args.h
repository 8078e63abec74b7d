#pragma once
// Parsing and printing the command line's values: --invoke arguments and
// results, --dir and --env specs, and the split of `run`'s arguments.
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/value.h"

namespace wasipy::cli {

/// Parses an --invoke argument for a parameter of type `type`:
/// i32/i64 in decimal (signed or unsigned) or 0x hex, an optional `n` suffix
/// on i64 (as Node's BigInt literals); f32/f64 as decimal or hex floats,
/// `nan`, `nan:0xPAYLOAD`, `inf`, `-inf`; references as `null`
/// (or a number for externref).
std::expected<runtime::Value, std::string> parse_value(runtime::ValType type, std::string_view text);

/// Prints a result plainly, as wasmtime and Node do: integers in signed
/// decimal, floats in the shortest decimal that reads back to the same
/// bits (`nan`, `-nan`, `inf`, `-inf`), references as `null` or `ref`.
std::string format_value(const runtime::Value& v);

/// `--dir HOST[::GUEST]`; GUEST defaults to HOST, as in wasmtime.
/// `--dir HOST[::GUEST][:ro]`: a host folder, where the guest sees it, and
/// whether the guest may only read it.
struct DirMapping {
  std::string host;
  std::string guest;
  bool read_only = false;
};
std::expected<DirMapping, std::string> parse_dir(std::string_view spec);

/// `--env K=V`: K must be non-empty and hold no `=`.
std::expected<std::string, std::string> parse_env(std::string_view spec);

/// `run`'s arguments cut at the module: everything after it belongs to the
/// guest, even when it looks like an option.
struct RunSplit {
  std::vector<std::string> options;  ///< wasipy's own options, before the module
  std::string module;                ///< empty when none was given
  std::vector<std::string> guest;    ///< after the module (a leading `--` removed)
};
RunSplit split_run_args(const std::vector<std::string>& args);

}  // namespace wasipy::cli
