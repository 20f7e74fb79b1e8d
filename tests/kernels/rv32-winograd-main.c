/* rv32-winograd-main.c — main of the rv32imc ELF built by test-kernels-winograd-rv32: prints
 * the Winograd selftest lines on the semihosting console, then "done <bad> <cases>".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>

#include "winograd-selftest.h"
#include "rv32-emit.h"

int
main (void)
{
  int n = 0, bad = winograd_selftest_run (rv32_emit, NULL, &n, NULL);
  printf ("done %d %d\n", bad, n);
  fflush (stdout);
  exit (0);   /* ends QEMU (returning from main does not) */
}
