/* matmul: dense double-precision matrix multiply (i-k-j order). Measures f64
 * arithmetic and strided memory access. */
#include "kernel.h"

#define MAT_MAX 320
static double A[MAT_MAX * MAT_MAX], B[MAT_MAX * MAT_MAX], C[MAT_MAX * MAT_MAX];

int32_t matmul(int32_t n, int32_t reps) {
  if (n > MAT_MAX) n = MAT_MAX;
  if (n < 1) return 0;
  for (int32_t i = 0; i < n; i++)
    for (int32_t j = 0; j < n; j++) {
      A[i * n + j] = (double)((i * 7 + j * 3) % 17) / 8.0 - 1.0;
      B[i * n + j] = (double)((i * 5 + j * 11) % 13) / 4.0 - 1.5;
    }
  double total = 0.0;
  for (int32_t r = 0; r < reps; r++) {
    A[(r * 31) % (n * n)] += 0.5; /* a different product each time */
    for (int32_t i = 0; i < n * n; i++) C[i] = 0.0;
    for (int32_t i = 0; i < n; i++)
      for (int32_t k = 0; k < n; k++) {
        double a = A[i * n + k];
        for (int32_t j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
      }
    double trace = 0.0;
    for (int32_t i = 0; i < n; i++) trace += C[i * n + i] + C[i * n + (n - 1 - i)];
    total += trace;
  }
  return (int32_t)(int64_t)(total * 16.0);
}
