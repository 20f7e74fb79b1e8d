/* rv32-selftest-main.c — main of the rv32imc ELF built by test-kernels-rv32: prints the
 * selftest lines on the semihosting console, then "done <bad>".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "kernel-selftest.h"
#include "rv32-emit.h"

int
main (void)
{
  int bad = kernel_selftest_run (rv32_emit, NULL);
  printf ("done %d\n", bad);
  fflush (stdout);
  exit (0);   /* ends QEMU (returning from main does not) */
}
