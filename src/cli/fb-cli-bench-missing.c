/* fb-cli-bench-missing.c — used until the kernel benchmark is built in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-cli.h"

int
fb_cli_bench (int argc, char **argv)
{
  g_printerr ("freebits-cli: this build has no benchmarks (the kernel library is not built in)\n");
  return FB_CLI_EXIT_FAILED;
}
