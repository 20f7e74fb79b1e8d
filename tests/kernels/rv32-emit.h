/* rv32-emit.h — the line printer the rv32imc test ELFs hand to their selftests: one line on
 * the semihosting console each.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>

static void
rv32_emit (const char *line, void *user_data)
{
  (void) user_data;
  printf ("%s\n", line);
}
