/* hashmap: an open-addressing hash table (linear probing) with generated
 * keys: inserts, then lookups of present and absent keys. Measures
 * data-dependent loads and branches over a large table. */
#include "kernel.h"

#define TABLE_BITS 21
#define TABLE_SIZE (1u << TABLE_BITS)
static uint32_t keys[TABLE_SIZE];
static uint32_t values[TABLE_SIZE];

static inline uint32_t hash32(uint32_t k) {
  k ^= k >> 16;
  k *= 0x7feb352du;
  k ^= k >> 15;
  k *= 0x846ca68bu;
  k ^= k >> 16;
  return k;
}

int32_t hashmap(int32_t count, int32_t reps) {
  uint32_t max = TABLE_SIZE / 2; /* keep the load factor at most 1/2 */
  if ((uint32_t)count > max) count = (int32_t)max;
  uint32_t acc = 0;
  for (int32_t r = 0; r < reps; r++) {
    for (uint32_t i = 0; i < TABLE_SIZE; i++) keys[i] = 0; /* 0 = empty */
    uint32_t state = 0x2545f491u + (uint32_t)r;
    for (int32_t i = 0; i < count; i++) {
      uint32_t k = (bench_next(&state) | 1u) & 0x7fffffffu;
      uint32_t slot = hash32(k) & (TABLE_SIZE - 1);
      while (keys[slot] != 0 && keys[slot] != k) slot = (slot + 1) & (TABLE_SIZE - 1);
      keys[slot] = k;
      values[slot] += (uint32_t)i;
    }
    state = 0x2545f491u + (uint32_t)r;
    uint32_t found = 0, sum = 0;
    for (int32_t i = 0; i < 2 * count; i++) {
      /* odd i: a key that was inserted; even i: one that (mostly) was not */
      uint32_t k = (i & 1) ? (bench_next(&state) | 1u) & 0x7fffffffu
                           : (hash32((uint32_t)i) | 0x80000000u);
      uint32_t slot = hash32(k) & (TABLE_SIZE - 1);
      while (keys[slot] != 0) {
        if (keys[slot] == k) { found++; sum += values[slot]; break; }
        slot = (slot + 1) & (TABLE_SIZE - 1);
      }
    }
    acc = acc * 31u + found * 7u + sum;
  }
  return (int32_t)acc;
}
