#pragma once
// The semantics of WebAssembly's numeric operators where C++ differs from
// the spec (NaN handling, trapping conversions, shifts), shared by the tiers.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace wasipy::interp::num {

template <class F>
inline bool is_nan(F x) {
  return x != x;
}

/// Quiets a NaN the way hardware arithmetic does (the spec's arithmetic NaN).
inline float quiet(float x) { return std::bit_cast<float>(std::bit_cast<uint32_t>(x) | 0x00400000u); }
inline double quiet(double x) { return std::bit_cast<double>(std::bit_cast<uint64_t>(x) | 0x0008000000000000ull); }

template <class F>
inline F fmin(F a, F b) {
  if (is_nan(a) || is_nan(b)) return quiet(is_nan(a) ? a : b);
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

template <class F>
inline F fmax(F a, F b) {
  if (is_nan(a) || is_nan(b)) return quiet(is_nan(a) ? a : b);
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

template <class F>
inline F fceil(F a) { return is_nan(a) ? quiet(a) : std::ceil(a); }
template <class F>
inline F ffloor(F a) { return is_nan(a) ? quiet(a) : std::floor(a); }
template <class F>
inline F ftrunc(F a) { return is_nan(a) ? quiet(a) : std::trunc(a); }
template <class F>
inline F fnearest(F a) { return is_nan(a) ? quiet(a) : std::nearbyint(a); }
template <class F>
inline F fsqrt(F a) { return is_nan(a) ? quiet(a) : std::sqrt(a); }

inline float fabs_bits(float a) { return std::bit_cast<float>(std::bit_cast<uint32_t>(a) & 0x7FFFFFFFu); }
inline double fabs_bits(double a) { return std::bit_cast<double>(std::bit_cast<uint64_t>(a) & 0x7FFFFFFFFFFFFFFFull); }
inline float fneg_bits(float a) { return std::bit_cast<float>(std::bit_cast<uint32_t>(a) ^ 0x80000000u); }
inline double fneg_bits(double a) { return std::bit_cast<double>(std::bit_cast<uint64_t>(a) ^ 0x8000000000000000ull); }
inline float fcopysign(float a, float b) {
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & 0x7FFFFFFFu) | (std::bit_cast<uint32_t>(b) & 0x80000000u));
}
inline double fcopysign(double a, double b) {
  return std::bit_cast<double>((std::bit_cast<uint64_t>(a) & 0x7FFFFFFFFFFFFFFFull) |
                               (std::bit_cast<uint64_t>(b) & 0x8000000000000000ull));
}

/// Whether truncating `x` toward zero fits in the integer type I (NaN does not).
template <class I, class F>
inline bool trunc_fits(F x) {
  if (is_nan(x)) return false;
  // 32-bit bounds are compared in double, where -2^31 - 1 is exact.
  if constexpr (std::is_same_v<I, int32_t>) {
    return double(x) > -2147483649.0 && double(x) < 2147483648.0;
  } else if constexpr (std::is_same_v<I, uint32_t>) {
    return double(x) > -1.0 && double(x) < 4294967296.0;
  } else if constexpr (std::is_same_v<I, int64_t>) {
    return x >= F(-9223372036854775808.0) && x < F(9223372036854775808.0);
  } else {
    return x > F(-1.0) && x < F(18446744073709551616.0);
  }
}

/// Saturating truncation: NaN gives 0, out-of-range values clamp.
template <class I, class F>
inline I trunc_sat(F x) {
  if (is_nan(x)) return 0;
  if (trunc_fits<I>(x)) return static_cast<I>(x);
  return x < 0 ? std::numeric_limits<I>::min() : std::numeric_limits<I>::max();
}

}  // namespace wasipy::interp::num
