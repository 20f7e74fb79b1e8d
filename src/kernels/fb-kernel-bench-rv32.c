/* fb-kernel-bench-rv32.c — main of the rv32imc benchmark ELF (not part of any library).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built at run time by `freebits-cli bench kernels --target rv32imc` with
 * riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -O2 and picolibc (semihosting), run under
 * qemu-system-riscv32 -icount shift=0.  For every entry of the benchmark suite and every
 * variant it counts the retired instructions (minstret) of one kernel call, scratch
 * preparation, im2col and requantization included (conv: with prepared weights,
 * FB_KERNEL_FLAG_PREPARED_WEIGHTS, the path of an exported bundle), and prints
 *   R <family> <kernel> <shape> <instructions> <work> <fnv1a of the output>
 * then "done".  Instruction counts are deterministic.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fb-kernel-bench.h"
#include "fb-kernel-workload.h"

int
main (void)
{
  size_t i, v;
  FbKernelFamily family;
  const char *shape_name;
  FbKernelBenchShape shape;

  for (i = 0; fb_kernel_bench_suite (i, &family, &shape_name, &shape); i++)
    {
      size_t nv = 0;
      fb_kernel_family_variants (family, &nv);
      /* conv runs with its weights laid out at export time, as every exported bundle calls
       * it (and the latency harness measures it) */
      if (family == FB_KERNEL_FAMILY_CONV)
        shape.flags |= FB_KERNEL_FLAG_PREPARED_WEIGHTS;
      for (v = 0; v < nv; v++)
        {
          FbKernelBenchCase c;
          uint32_t t0, t1;
          int st;
          if (fb_kernel_bench_setup (&c, family, v, &shape, fb_kernel_bench_seed (i, v)) != 0)
            {
              printf ("E %s %u setup failed\n", fb_kernel_family_name (family), (unsigned) v);
              continue;
            }
          t0 = fb_kernel_workload_instret ();
          st = (int) fb_kernel_bench_run (&c);
          t1 = fb_kernel_workload_instret ();
          printf ("R %s %s %s %lu %lu %08lx %d\n", fb_kernel_family_name (family),
                  c.variant->name, shape_name, (unsigned long) (t1 - t0),
                  (unsigned long) c.work, (unsigned long) fb_kernel_bench_output_hash (&c), st);
          fb_kernel_bench_clear (&c);
        }
    }
  printf ("done\n");
  fflush (stdout);
  exit (0);   /* ends QEMU; returning from main does not */
}
