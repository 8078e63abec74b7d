/* Helpers for generated code: WebAssembly's semantics where C's differ or
 * are undefined. Pasted (after abi.h) at the top of every generated file.
 * Everything is static inline, so each translation unit stands alone. */
#include <math.h>
#include <string.h>

#define WP_LIKELY(x) __builtin_expect(!!(x), 1)
#define WP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WP_INLINE static inline __attribute__((always_inline))

__attribute__((noreturn, cold, noinline)) static void wp_trap(wp_ctx* c, uint32_t kind) {
  c->rt->trap(c, kind);
  __builtin_unreachable();
}

/* Linear memory: the address is the 32-bit operand plus the static offset,
 * computed in 64 bits; the reservation behind every memory covers any such
 * sum, and pages past the current size fault. */
/* A load must fault when out of bounds even if its value goes unused, and
 * where the program put it: not moved into a branch or past a store. gcc is
 * told that memory accesses may trap and that a trap is observable
 * (-fexceptions -fnon-call-exceptions -fno-delete-dead-exceptions, see
 * toolchain.cpp), which keeps every access in place without constraining
 * the code around it; the toolchain then defines WP_ACCESSES_MAY_TRAP.
 * Other compilers get each loaded value handed to an empty asm they cannot
 * delete (which also forces it into a register: 3-5% more instructions). */
#ifdef WP_ACCESSES_MAY_TRAP
#define WP_KEEP_LOAD(v, reg)
#else
#define WP_KEEP_LOAD(v, reg) __asm__ volatile("" : : reg(v))
#endif
#define WP_LOAD(name, T, reg)                                        \
  WP_INLINE T name(const uint8_t* m, uint64_t a) {                   \
    T v;                                                             \
    memcpy(&v, m + a, sizeof v);                                     \
    WP_KEEP_LOAD(v, reg);                                            \
    return v;                                                        \
  }
WP_LOAD(ld_u8, uint8_t, "r")
WP_LOAD(ld_s8, int8_t, "r")
WP_LOAD(ld_u16, uint16_t, "r")
WP_LOAD(ld_s16, int16_t, "r")
WP_LOAD(ld_u32, uint32_t, "r")
WP_LOAD(ld_s32, int32_t, "r")
WP_LOAD(ld_u64, uint64_t, "r")
WP_LOAD(ld_f32, float, "x")
WP_LOAD(ld_f64, double, "x")
#define WP_STORE(name, T) \
  WP_INLINE void name(uint8_t* m, uint64_t a, T v) { memcpy(m + a, &v, sizeof v); }
WP_STORE(st_u8, uint8_t)
WP_STORE(st_u16, uint16_t)
WP_STORE(st_u32, uint32_t)
WP_STORE(st_u64, uint64_t)
WP_STORE(st_f32, float)
WP_STORE(st_f64, double)

/* memory.copy and memory.fill: both ranges checked before anything is
 * written, then one libc call. Inline rather than through wp_runtime: a
 * guest's memcpy may be exactly this instruction (python.wasm's is), called
 * for a few bytes at a time. */
WP_INLINE void wp_memory_copy(wp_ctx* c, uint8_t* m, uint32_t d, uint32_t s, uint32_t n) {
  uint64_t size = *c->mem_bytes;
  if (WP_UNLIKELY((uint64_t)d + n > size || (uint64_t)s + n > size)) wp_trap(c, WP_TRAP_MEMORY_OOB);
  memmove(m + d, m + s, n);
}
WP_INLINE void wp_memory_fill(wp_ctx* c, uint8_t* m, uint32_t d, uint32_t v, uint32_t n) {
  if (WP_UNLIKELY((uint64_t)d + n > *c->mem_bytes)) wp_trap(c, WP_TRAP_MEMORY_OOB);
  memset(m + d, (int)(uint8_t)v, n);
}

/* Bits <-> floats without changing a NaN's payload. */
WP_INLINE float f32_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
WP_INLINE double f64_bits(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }
WP_INLINE uint32_t bits_f32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
WP_INLINE uint64_t bits_f64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

/* Integer division and remainder trap where C is undefined. */
WP_INLINE uint32_t i32_div_s(wp_ctx* c, uint32_t a, uint32_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  if (WP_UNLIKELY(a == 0x80000000u && b == 0xFFFFFFFFu)) wp_trap(c, WP_TRAP_INTEGER_OVERFLOW);
  return (uint32_t)((int32_t)a / (int32_t)b);
}
WP_INLINE uint32_t i32_div_u(wp_ctx* c, uint32_t a, uint32_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  return a / b;
}
WP_INLINE uint32_t i32_rem_s(wp_ctx* c, uint32_t a, uint32_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  return b == 0xFFFFFFFFu ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
}
WP_INLINE uint32_t i32_rem_u(wp_ctx* c, uint32_t a, uint32_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  return a % b;
}
WP_INLINE uint64_t i64_div_s(wp_ctx* c, uint64_t a, uint64_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  if (WP_UNLIKELY(a == 0x8000000000000000ull && b == ~0ull)) wp_trap(c, WP_TRAP_INTEGER_OVERFLOW);
  return (uint64_t)((int64_t)a / (int64_t)b);
}
WP_INLINE uint64_t i64_div_u(wp_ctx* c, uint64_t a, uint64_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  return a / b;
}
WP_INLINE uint64_t i64_rem_s(wp_ctx* c, uint64_t a, uint64_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  return b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
}
WP_INLINE uint64_t i64_rem_u(wp_ctx* c, uint64_t a, uint64_t b) {
  if (WP_UNLIKELY(b == 0)) wp_trap(c, WP_TRAP_DIVIDE_BY_ZERO);
  return a % b;
}

WP_INLINE uint32_t i32_rotl(uint32_t a, uint32_t b) { b &= 31; return (a << b) | (a >> ((32 - b) & 31)); }
WP_INLINE uint32_t i32_rotr(uint32_t a, uint32_t b) { b &= 31; return (a >> b) | (a << ((32 - b) & 31)); }
WP_INLINE uint64_t i64_rotl(uint64_t a, uint64_t b) { b &= 63; return (a << b) | (a >> ((64 - b) & 63)); }
WP_INLINE uint64_t i64_rotr(uint64_t a, uint64_t b) { b &= 63; return (a >> b) | (a << ((64 - b) & 63)); }
WP_INLINE uint32_t i32_clz(uint32_t a) { return a ? (uint32_t)__builtin_clz(a) : 32; }
WP_INLINE uint32_t i32_ctz(uint32_t a) { return a ? (uint32_t)__builtin_ctz(a) : 32; }
WP_INLINE uint64_t i64_clz(uint64_t a) { return a ? (uint64_t)__builtin_clzll(a) : 64; }
WP_INLINE uint64_t i64_ctz(uint64_t a) { return a ? (uint64_t)__builtin_ctzll(a) : 64; }

/* Floats: a NaN result is quieted as hardware arithmetic quiets it; min and
 * max order -0 below +0 and propagate NaN (C's fmin does neither). */
WP_INLINE float f32_quiet(float x) { return f32_bits(bits_f32(x) | 0x00400000u); }
WP_INLINE double f64_quiet(double x) { return f64_bits(bits_f64(x) | 0x0008000000000000ull); }
WP_INLINE float f32_min(float a, float b) {
  if (a != a || b != b) return f32_quiet(a != a ? a : b);
  if (a == 0 && b == 0) return signbit(a) ? a : b;
  return a < b ? a : b;
}
WP_INLINE float f32_max(float a, float b) {
  if (a != a || b != b) return f32_quiet(a != a ? a : b);
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
WP_INLINE double f64_min(double a, double b) {
  if (a != a || b != b) return f64_quiet(a != a ? a : b);
  if (a == 0 && b == 0) return signbit(a) ? a : b;
  return a < b ? a : b;
}
WP_INLINE double f64_max(double a, double b) {
  if (a != a || b != b) return f64_quiet(a != a ? a : b);
  if (a == 0 && b == 0) return signbit(a) ? b : a;
  return a > b ? a : b;
}
WP_INLINE float f32_ceil(float a) { return a != a ? f32_quiet(a) : __builtin_ceilf(a); }
WP_INLINE float f32_floor(float a) { return a != a ? f32_quiet(a) : __builtin_floorf(a); }
WP_INLINE float f32_trunc(float a) { return a != a ? f32_quiet(a) : __builtin_truncf(a); }
WP_INLINE float f32_nearest(float a) { return a != a ? f32_quiet(a) : __builtin_nearbyintf(a); }
WP_INLINE float f32_sqrt(float a) { return a != a ? f32_quiet(a) : __builtin_sqrtf(a); }
WP_INLINE double f64_ceil(double a) { return a != a ? f64_quiet(a) : __builtin_ceil(a); }
WP_INLINE double f64_floor(double a) { return a != a ? f64_quiet(a) : __builtin_floor(a); }
WP_INLINE double f64_trunc(double a) { return a != a ? f64_quiet(a) : __builtin_trunc(a); }
WP_INLINE double f64_nearest(double a) { return a != a ? f64_quiet(a) : __builtin_nearbyint(a); }
WP_INLINE double f64_sqrt(double a) { return a != a ? f64_quiet(a) : __builtin_sqrt(a); }
WP_INLINE float f32_abs(float a) { return f32_bits(bits_f32(a) & 0x7FFFFFFFu); }
WP_INLINE double f64_abs(double a) { return f64_bits(bits_f64(a) & 0x7FFFFFFFFFFFFFFFull); }
WP_INLINE float f32_neg(float a) { return f32_bits(bits_f32(a) ^ 0x80000000u); }
WP_INLINE double f64_neg(double a) { return f64_bits(bits_f64(a) ^ 0x8000000000000000ull); }
WP_INLINE float f32_copysign(float a, float b) {
  return f32_bits((bits_f32(a) & 0x7FFFFFFFu) | (bits_f32(b) & 0x80000000u));
}
WP_INLINE double f64_copysign(double a, double b) {
  return f64_bits((bits_f64(a) & 0x7FFFFFFFFFFFFFFFull) | (bits_f64(b) & 0x8000000000000000ull));
}

/* The compiler folds demote(promote(x)) to x even with signaling NaNs on,
 * which would return a signaling NaN unquieted: the barrier keeps both. */
WP_INLINE double f64_promote(float a) {
  double d = a;
  __asm__("" : "+x"(d));
  return d;
}

/* Truncation to integers: NaN is an invalid conversion, out of range an
 * overflow; the _sat forms clamp instead. Bounds are exact in double. */
#define WP_TRUNC(name, I, F, lo, hi, imin, imax)                                  \
  WP_INLINE I name(wp_ctx* c, F x) {                                              \
    if (WP_UNLIKELY(x != x)) wp_trap(c, WP_TRAP_INVALID_CONVERSION);              \
    if (WP_UNLIKELY(!((double)x > (lo) && (double)x < (hi)))) wp_trap(c, WP_TRAP_INTEGER_OVERFLOW); \
    return (I)x;                                                                  \
  }                                                                               \
  WP_INLINE I name##_sat(F x) {                                                   \
    if (x != x) return 0;                                                         \
    if ((double)x > (lo) && (double)x < (hi)) return (I)x;                        \
    return x < 0 ? (I)(imin) : (I)(imax);                                         \
  }
WP_TRUNC(i32_trunc_f32_s, int32_t, float, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
WP_TRUNC(i32_trunc_f64_s, int32_t, double, -2147483649.0, 2147483648.0, INT32_MIN, INT32_MAX)
WP_TRUNC(i32_trunc_f32_u, uint32_t, float, -1.0, 4294967296.0, 0, UINT32_MAX)
WP_TRUNC(i32_trunc_f64_u, uint32_t, double, -1.0, 4294967296.0, 0, UINT32_MAX)
/* 64-bit bounds: -2^63 is exact in both float and double and is in range. */
#define WP_TRUNC64(name, I, F, imin, imax, inrange)                               \
  WP_INLINE I name(wp_ctx* c, F x) {                                              \
    if (WP_UNLIKELY(x != x)) wp_trap(c, WP_TRAP_INVALID_CONVERSION);              \
    if (WP_UNLIKELY(!(inrange))) wp_trap(c, WP_TRAP_INTEGER_OVERFLOW);            \
    return (I)x;                                                                  \
  }                                                                               \
  WP_INLINE I name##_sat(F x) {                                                   \
    if (x != x) return 0;                                                         \
    if (inrange) return (I)x;                                                     \
    return x < 0 ? (I)(imin) : (I)(imax);                                         \
  }
WP_TRUNC64(i64_trunc_f32_s, int64_t, float, INT64_MIN, INT64_MAX,
           x >= -9223372036854775808.0f && x < 9223372036854775808.0f)
WP_TRUNC64(i64_trunc_f64_s, int64_t, double, INT64_MIN, INT64_MAX,
           x >= -9223372036854775808.0 && x < 9223372036854775808.0)
WP_TRUNC64(i64_trunc_f32_u, uint64_t, float, 0, UINT64_MAX, x > -1.0f && x < 18446744073709551616.0f)
WP_TRUNC64(i64_trunc_f64_u, uint64_t, double, 0, UINT64_MAX, x > -1.0 && x < 18446744073709551616.0)

/* Calls through a table check the index, null and the type, in the spec's order. */
WP_INLINE const wp_func* wp_table_func(wp_ctx* c, const wp_table* t, uint32_t i, uint32_t type_id) {
  if (WP_UNLIKELY(i >= t->size)) wp_trap(c, WP_TRAP_UNDEFINED_ELEMENT);
  const wp_func* f = (const wp_func*)(uintptr_t)t->data[i];
  if (WP_UNLIKELY(!f)) wp_trap(c, WP_TRAP_UNINITIALIZED_ELEMENT);
  if (WP_UNLIKELY(f->type_id != type_id)) wp_trap(c, WP_TRAP_INDIRECT_CALL_TYPE);
  return f;
}

