/* fb-kernel-workload.h — the deterministic pseudo-random inputs and the output hash of kernel
 * workloads (pure C99, no GLib, header only).
 *
 * Shared by the benchmark workloads (fb-kernel-bench.c) and the latency harness
 * (fb-latency-job.c, fb-latency-harness-rv32.c): the same seed gives the same inputs on the
 * host and on rv32imc, and the FNV-1a hash of every call's output is printed, so that a host
 * run and a run under QEMU can be compared byte for byte; on RISC-V, the instruction counter
 * the measurements read.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef FB_KERNEL_WORKLOAD_H
#define FB_KERNEL_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "fb-kernels.h"

#define FB_KERNEL_WORKLOAD_HASH_INIT 2166136261u /* the FNV-1a offset basis */

/* xorshift32: the next value of the generator in *@s (never 0 unless seeded with 0). */
static inline uint32_t
fb_kernel_workload_random (uint32_t *s)
{
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

/* Continues hash @h over @n bytes. */
static inline uint32_t
fb_kernel_workload_hash (uint32_t h, const uint8_t *p, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++)
    {
      h ^= p[i];
      h *= 16777619u;
    }
  return h;
}

/* The output of one kernel call: for FB_KERNEL_FAMILY_LINEAR_I32 the @num_o int32 values of
 * @output32, each little-endian; otherwise the @output_bytes bytes of @output. */
static inline uint32_t
fb_kernel_workload_output_hash (FbKernelFamily family, const uint8_t *output, size_t output_bytes,
                       const int32_t *output32, size_t num_o)
{
  uint32_t h = FB_KERNEL_WORKLOAD_HASH_INIT;
  size_t i;
  if (family == FB_KERNEL_FAMILY_LINEAR_I32)
    {
      for (i = 0; i < num_o; i++)
        {
          uint32_t v = (uint32_t) output32[i];
          uint8_t le[4];
          le[0] = (uint8_t) v;
          le[1] = (uint8_t) (v >> 8);
          le[2] = (uint8_t) (v >> 16);
          le[3] = (uint8_t) (v >> 24);
          h = fb_kernel_workload_hash (h, le, 4);
        }
      return h;
    }
  return fb_kernel_workload_hash (h, output, output_bytes);
}

#if defined(__riscv)
/* The retired-instruction counter (minstret) the rv32imc programs read around each measured
 * call; QEMU -icount shift=0 makes it deterministic. */
static inline uint32_t
fb_kernel_workload_instret (void)
{
  uint32_t v;
  __asm__ volatile (".option push\n.option arch, +zicsr\ncsrr %0, minstret\n.option pop"
                    : "=r" (v));
  return v;
}
#endif

#endif /* FB_KERNEL_WORKLOAD_H */
