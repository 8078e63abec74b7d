#include "cli/args.h"

#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace wasipy::cli {

using runtime::Value;
using runtime::ValType;

namespace {

/// An integer of `bits` bits, accepted as either its signed or unsigned reading.
std::expected<uint64_t, std::string> parse_int(std::string_view text, int bits) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (digits.empty() || ec == std::errc::invalid_argument || end != digits.data() + digits.size())
    return std::unexpected(fmt::format("'{}' is not an integer", text));
  const uint64_t umax = bits == 64 ? ~0ull : (1ull << bits) - 1;
  const uint64_t neg_limit = 1ull << (bits - 1);  // |INT_MIN|
  if (ec == std::errc::result_out_of_range || (!negative && magnitude > umax) || (negative && magnitude > neg_limit))
    return std::unexpected(fmt::format("'{}' does not fit in i{}", text, bits));
  uint64_t value = negative ? (~magnitude + 1) : magnitude;
  return value & umax;
}

/// nan, nan:0xPAYLOAD, inf, and everything strtod reads.
template <class Float, class Bits>
std::expected<Bits, std::string> parse_float(std::string_view text, const char* type) {
  constexpr int kMantissa = std::numeric_limits<Float>::digits - 1;
  constexpr Bits kSign = Bits(1) << (sizeof(Bits) * 8 - 1);
  constexpr Bits kExp = ~kSign & ~((Bits(1) << kMantissa) - 1);
  std::string_view rest = text;
  bool negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.starts_with("nan")) {
    Bits payload = Bits(1) << (kMantissa - 1);  // the canonical NaN
    if (rest.size() > 3) {
      if (!rest.starts_with("nan:0x") || rest.size() == 6)
        return std::unexpected(fmt::format("'{}' is not a {} (write nan or nan:0xPAYLOAD)", text, type));
      auto p = parse_int("0x" + std::string(rest.substr(6)), 64);
      if (!p || *p == 0 || *p >= (uint64_t(1) << kMantissa))
        return std::unexpected(fmt::format("'{}': a {} NaN payload is 1 to {} bits", text, type, kMantissa));
      payload = Bits(*p);
    }
    return Bits((negative ? kSign : 0) | kExp | payload);
  }
  std::string owned(text);
  char* end = nullptr;
  errno = 0;
  Float f;
  if constexpr (sizeof(Float) == 4) f = std::strtof(owned.c_str(), &end);
  else f = std::strtod(owned.c_str(), &end);
  if (owned.empty() || end != owned.c_str() + owned.size())
    return std::unexpected(fmt::format("'{}' is not a {}", text, type));
  return std::bit_cast<Bits>(f);
}

}  // namespace

std::expected<Value, std::string> parse_value(ValType type, std::string_view text) {
  switch (type) {
    case ValType::I32: {
      auto v = parse_int(text, 32);
      if (!v) return std::unexpected(v.error());
      return Value::i32(uint32_t(*v));
    }
    case ValType::I64: {
      std::string_view t = text;
      if (t.ends_with('n')) t.remove_suffix(1);
      auto v = parse_int(t, 64);
      if (!v) return std::unexpected(v.error());
      return Value::i64(*v);
    }
    case ValType::F32: {
      auto v = parse_float<float, uint32_t>(text, "f32");
      if (!v) return std::unexpected(v.error());
      return Value::f32_bits(*v);
    }
    case ValType::F64: {
      auto v = parse_float<double, uint64_t>(text, "f64");
      if (!v) return std::unexpected(v.error());
      return Value::f64_bits(*v);
    }
    case ValType::FuncRef:
      if (text == "null") return Value::ref(type, 0);
      return std::unexpected(fmt::format("'{}': a funcref argument can only be null", text));
    case ValType::ExternRef: {
      if (text == "null") return Value::ref(type, 0);
      auto v = parse_int(text, 64);
      if (!v || *v == ~0ull) return std::unexpected(fmt::format("'{}' is not an externref (null or a number)", text));
      return Value::ref(type, *v + 1);
    }
    case ValType::V128:
      break;
  }
  return std::unexpected(std::string("v128 arguments are not supported"));
}

std::string format_value(const Value& v) {
  switch (v.type) {
    case ValType::I32: return fmt::format("{}", int32_t(v.as_u32()));
    case ValType::I64: return fmt::format("{}", int64_t(v.as_u64()));
    case ValType::F32: return fmt::format("{}", v.as_f32());
    case ValType::F64: return fmt::format("{}", v.as_f64());
    case ValType::FuncRef:
    case ValType::ExternRef: return v.bits == 0 ? "null" : "ref";
    case ValType::V128: return "v128";
  }
  return "?";
}

std::expected<DirMapping, std::string> parse_dir(std::string_view spec) {
  DirMapping m;
  std::string_view full = spec;
  if (spec.size() > 3 && spec.ends_with(":ro")) {
    m.read_only = true;
    spec.remove_suffix(3);
  }
  auto sep = spec.find("::");
  if (sep == std::string_view::npos) {
    m.host = m.guest = std::string(spec);
  } else {
    m.host = std::string(spec.substr(0, sep));
    m.guest = std::string(spec.substr(sep + 2));
  }
  if (m.host.empty() || m.guest.empty())
    return std::unexpected(fmt::format("--dir '{}': write HOST or HOST::GUEST (then :ro for read-only), both non-empty", full));
  return m;
}

std::expected<std::string, std::string> parse_env(std::string_view spec) {
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return std::unexpected(fmt::format("--env '{}': write KEY=VALUE", spec));
  return std::string(spec);
}

RunSplit split_run_args(const std::vector<std::string>& args) {
  // Options of `run` that take a value as the next argument.
  auto takes_value = [](std::string_view a) {
    return a == "--dir" || a == "--env" || a == "--argv0" || a == "--invoke" || a == "--tier";
  };
  RunSplit out;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() > 1 && a[0] == '-') {
      out.options.push_back(a);
      if (takes_value(a) && i + 1 < args.size()) out.options.push_back(args[++i]);
      continue;
    }
    break;
  }
  if (i < args.size()) out.module = args[i++];
  if (i < args.size() && args[i] == "--") ++i;
  out.guest.assign(args.begin() + std::ptrdiff_t(i), args.end());
  return out;
}

}  // namespace wasipy::cli
