/* bench-rv32-winograd.c — main of the rv32imc ELF of tools/bench-rv32-winograd.sh: for a few
 * 3x3 stride-1 conv shapes, the instructions (minstret) of one fb_conv_u8_u8_i8 call with
 * weights prepared at export time (FB_KERNEL_FLAG_PREPARED_WEIGHTS), per MAC, and whether
 * the output equals the reference.  Compiled twice by the script: as is (Winograd where it
 * applies) and with -DFB_KI_WINO_MIN_CH=100000 (the direct path everywhere).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb-kernel-bench.h"
#include "fb-kernel-internal.h"
#include "fb-kernel-workload.h"

int
main (void)
{
  /* in_x, in_y, cin, cout, pad (all sides), signed input and output */
  static const int shapes[][6] = {
    { 16, 16, 32, 32, 1, 0 }, { 16, 16, 32, 32, 1, 1 }, { 16, 16, 64, 64, 1, 0 },
    { 16, 16, 16, 16, 1, 0 }, { 16, 16, 8, 8, 1, 0 }, { 16, 16, 8, 32, 1, 0 },
    { 16, 16, 32, 8, 1, 0 }, { 8, 8, 128, 128, 1, 0 }, { 7, 7, 32, 32, 1, 0 },
    { 4, 4, 64, 64, 1, 0 }, { 32, 32, 16, 16, 0, 0 },
  };
  size_t i, nv = 0, v, u8 = 0;
  const FbKernelVariant *vs = fb_kernel_family_variants (FB_KERNEL_FAMILY_CONV, &nv);

  for (v = 0; v < nv; v++)
    if (vs[v].in_bits == 8 && vs[v].out_bits == 8 && vs[v].w_bits == 8)
      u8 = v;
  for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    {
      FbKernelBenchShape sh;
      FbKernelBenchCase c;
      uint32_t t0, t1;
      int st;
      memset (&sh, 0, sizeof sh);
      sh.conv.dim_in_x = shapes[i][0];
      sh.conv.dim_in_y = shapes[i][1];
      sh.conv.ch_in = shapes[i][2];
      sh.conv.ch_out = shapes[i][3];
      sh.conv.dim_kernel_x = sh.conv.dim_kernel_y = 3;
      sh.conv.pad_top = sh.conv.pad_bottom = sh.conv.pad_left = sh.conv.pad_right = shapes[i][4];
      sh.conv.stride_x = sh.conv.stride_y = 1;
      sh.flags = FB_KERNEL_FLAG_PREPARED_WEIGHTS
                 | (shapes[i][5] ? FB_KERNEL_FLAG_SIGNED_IN | FB_KERNEL_FLAG_SIGNED_OUT : 0);
      if (fb_kernel_bench_setup (&c, FB_KERNEL_FAMILY_CONV, u8, &sh, 1234u + (uint32_t) i) != 0)
        {
          printf ("E setup %d\n", (int) i);
          continue;
        }
      t0 = fb_kernel_workload_instret ();
      st = (int) fb_kernel_bench_run (&c);
      t1 = fb_kernel_workload_instret ();
      fb_kernel_bench_run_ref (&c);
      printf ("R %dx%dx%d->%d pad%d%s %lu %lu %d %d %lu %lu\n", shapes[i][0], shapes[i][1],
              shapes[i][2], shapes[i][3], shapes[i][4], shapes[i][5] ? " signed" : "",
              (unsigned long) (t1 - t0), (unsigned long) c.work,
              st == 0 && fb_kernel_bench_matches_ref (&c),
              fb_ki_conv_winograd_applies (8, 8, &c.shape.conv),
              (unsigned long) c.buffer_size,
              (unsigned long) fb_conv_prepared_weights_size (8, 8, 8, &c.shape.conv));
      fb_kernel_bench_clear (&c);
    }
  printf ("done\n");
  fflush (stdout);
  exit (0);   /* ends QEMU */
}
