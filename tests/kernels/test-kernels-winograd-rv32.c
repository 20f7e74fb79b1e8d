/* test-kernels-winograd-rv32.c — the Winograd conv path cross-compiled for rv32imc (with its
 * assembly) and run under QEMU: every case equals the reference computed on the device, and
 * its output bytes equal the host's (the host path with packed weights, a different
 * algorithm).  Skipped, with a visible message, when the cross toolchain or QEMU is missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <string.h>

#include "fb-kernels.h"
#include "rv32-test-util.h"
#include "winograd-selftest.h"

static void
collect (const char *line, void *user_data)
{
  g_ptr_array_add ((GPtrArray *) user_data, g_strdup (line));
}

static void
test_rv32 (void)
{
  static const char *files[] = { "winograd-selftest.c", "rv32-winograd-main.c", NULL };
  g_autoptr (GPtrArray) host = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL, *done = NULL, *skip = NULL;
  char **lines, **l;
  guint j = 0;
  int n = 0;

  out = rv32_test_build_run ("winograd-selftest", files, &skip);
  if (out == NULL)
    {
      g_test_skip (skip);
      return;
    }

  /* the host path takes packed weights: the same outputs by another algorithm */
  g_assert_cmpint (winograd_selftest_run (collect, host, &n, NULL), ==, 0);
  done = g_strdup_printf ("done 0 %d", n);
  lines = g_strsplit (out, "\n", -1);
  for (l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "wino "))
      {
        g_assert_cmpuint (j, <, host->len);
        g_assert_cmpstr (*l, ==, g_ptr_array_index (host, j));
        j++;
      }
    else if (g_str_has_prefix (*l, "done "))
      g_assert_cmpstr (*l, ==, done);
    else if (**l != '\0')
      g_test_message ("qemu: %s", *l);
  g_strfreev (lines);
  g_assert_cmpuint (j, ==, host->len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kernels/winograd/rv32imc", test_rv32);
  return g_test_run ();
}
