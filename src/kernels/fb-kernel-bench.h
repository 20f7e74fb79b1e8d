/* fb-kernel-bench.h — deterministic workloads for the kernel benchmark and cross-checks
 * (pure C99, no GLib; runs on the host and inside the rv32imc ELFs).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A FbKernelBenchCase owns the packed inputs, weights, requantization parameters, output and
 * scratch of one call of one kernel variant, filled from a seeded xorshift generator, plus
 * unpacked int32 copies for the reference implementation.  The same seed and shape give the
 * same bytes on every machine, so outputs can be compared across targets by their hash.
 * Timing is the caller's business (host: a clock; rv32imc: the minstret CSR).
 */
#ifndef FB_KERNEL_BENCH_H
#define FB_KERNEL_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "fb-kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The shape of a workload.  Which fields matter depends on the family:
 *   conv, depthwise: conv (ch_out ignored for depthwise: = ch_in)
 *   avgpool2d, maxpool2d: conv (ch_in; ch_out = ch_in)
 *   linear, linear_i32: dim_vec, num_o
 *   add, avgpool: dim_x, dim_y, ch
 * and flags (every family): the kernel's flag word (FB_KERNEL_FLAG_SIGNED_*,
 * FB_KERNEL_FLAG_COUNT_INCLUDE_PAD); signed operands get random values on the signed grid.
 * extremes (conv, depthwise, linear, linear_i32): nonzero puts every input at an end of its
 * grid (the top end 3 times in 4) and every weight at one of its two ends, the worst case of
 * the kernels' lane and partial-sum bounds, which uniform values rarely reach. */
typedef struct {
  FbConvParams conv;
  int32_t dim_vec, num_o;
  int32_t dim_x, dim_y, ch;
  int32_t flags;
  int32_t extremes;
} FbKernelBenchShape;

typedef struct {
  FbKernelFamily family;
  const FbKernelVariant *variant;
  FbKernelBenchShape shape;      /* with channel counts rounded to what the variant accepts */
  uint64_t work;                 /* MACs (taps inside the input) per call; add and avgpool:
                                  * input elements */
  /* packed data, as the kernel takes it */
  uint8_t *input, *input2, *weights, *output;
  int32_t *kappa, *lambda, *bias, *output32;
  void *buffer;
  size_t buffer_size, input_bytes, output_bytes;
  /* unpacked data, as the reference takes it */
  int32_t *ref_x, *ref_x2, *ref_w, *ref_y;
  int32_t m1, m2, out_shift;
} FbKernelBenchCase;

/* The standard shape of each family (conv: 16x16x32 -> 32, 3x3, pad 1, stride 1 as in the
 * issue's rv32imc target; depthwise 16x16x32 3x3 pad 1; linear 256 -> 64; linear_i32
 * 256 -> 16; add 16x16x32; avgpool 8x8x64). */
void fb_kernel_bench_standard_shape (FbKernelFamily family, FbKernelBenchShape *shape);

/* The benchmark suite: entry i (0, 1, ...) is a family, a shape name and a shape; returns 0
 * past the end.  Every family on its standard shape ("std"), then the conv family on two more
 * layers: "64x64-3x3" (16x16x64 -> 64, 3x3, pad 1) and "64x64-1x1" (16x16x64 -> 64,
 * pointwise), then the standard conv with a signed output ("std-signed-out") and with a signed
 * input and output ("std-signed-in-out"), then a stride-2 depthwise ("s2-32x32": 32x32x32 3x3
 * pad 1 stride 2).  The host benchmark and the rv32imc ELF run the same
 * list with the same seeds
 * (fb_kernel_bench_seed()), so their outputs can be compared by hash. */
int fb_kernel_bench_suite (size_t i, FbKernelFamily *family, const char **shape_name,
                           FbKernelBenchShape *shape);
uint32_t fb_kernel_bench_seed (size_t suite_index, size_t variant);

/* Allocate and fill a case for variant index `variant` of `family` (see
 * fb_kernel_family_variants()).  Channel counts of the shape are rounded up to what the
 * variant accepts and output sizes are derived from the input, kernel, padding and stride.
 * Returns 0 on success, -1 on a bad argument or allocation failure (the case is then
 * cleared). */
int fb_kernel_bench_setup (FbKernelBenchCase *c, FbKernelFamily family, size_t variant,
                           const FbKernelBenchShape *shape, uint32_t seed);
void fb_kernel_bench_clear (FbKernelBenchCase *c);

/* One call of the kernel on the case. */
FbKernelStatus fb_kernel_bench_run (FbKernelBenchCase *c);
/* One call of the reference on the case's unpacked data (into ref_y). */
void fb_kernel_bench_run_ref (FbKernelBenchCase *c);
/* 1 if the kernel's last output equals the reference's last output. */
int fb_kernel_bench_matches_ref (const FbKernelBenchCase *c);
/* FNV-1a 32-bit over the output bytes (int32 outputs: little-endian). */
uint32_t fb_kernel_bench_output_hash (const FbKernelBenchCase *c);

#ifdef __cplusplus
}
#endif

#endif /* FB_KERNEL_BENCH_H */
