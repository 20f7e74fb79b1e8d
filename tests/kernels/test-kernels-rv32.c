/* test-kernels-rv32.c — the kernels cross-compiled for rv32imc and run under QEMU give the
 * same bytes as on the host.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds an ELF from the kernel sources plus kernel-selftest.c with riscv64-unknown-elf-gcc
 * (-march=rv32imc -mabi=ilp32, picolibc, semihosting), runs it under qemu-system-riscv32 and
 * compares its lines (variant, status, agreement with the reference computed on the device,
 * FNV-1a hash of the output bytes) with the same workloads run in this process.  On the host the
 * kernels take the host path, in QEMU the RV32 path with its assembly, so this compares two
 * implementations.  Skipped, with a visible message, when the cross toolchain or QEMU is missing.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "fb-kernels.h"
#include "kernel-selftest.h"
#include "rv32-test-util.h"

static struct {
  gboolean done;
  char *skip_reason;   /* non-NULL: skip everything */
  char **lines;        /* from QEMU */
} rv32;

static void
collect (const char *line, void *user_data)
{
  g_ptr_array_add ((GPtrArray *) user_data, g_strdup (line));
}

/* Cross-builds and runs the self-test once for all the cases below. */
static void
build_and_run (void)
{
  static const char *files[] = { "kernel-selftest.c", "rv32-selftest-main.c", NULL };
  g_autofree char *out = NULL;

  rv32.done = TRUE;
  out = rv32_test_build_run ("kernel-selftest", files, &rv32.skip_reason);
  if (out == NULL)
    return;
  {
    g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
    char **split = g_strsplit (out, "\n", -1), **l;
    for (l = split; *l != NULL; l++)
      if (g_str_has_prefix (*l, "fb_") || g_str_has_prefix (*l, "done "))
        g_ptr_array_add (lines, g_strdup (*l));
      else if (**l != '\0')
        g_test_message ("qemu: %s", *l);
    g_strfreev (split);
    g_ptr_array_add (lines, NULL);
    rv32.lines = (char **) g_ptr_array_steal (lines, NULL);
  }
}

static void
test_build_run (void)
{
  if (!rv32.done)
    build_and_run ();
  if (rv32.skip_reason != NULL)
    {
      g_test_skip (rv32.skip_reason);
      return;
    }
  g_assert_nonnull (rv32.lines);
  g_assert_cmpuint (g_strv_length (rv32.lines), >, 1);
  /* the ELF checked every workload against the reference on the device; name the ones
   * that failed there */
  for (char **l = rv32.lines; *l != NULL; l++)
    if (strstr (*l, " ref=0 ") != NULL)
      g_test_message ("failed on the device: %s", *l);
  g_assert_cmpstr (rv32.lines[g_strv_length (rv32.lines) - 1], ==, "done 0");
}

/* Lines of one family ("fb_conv_", ...) on the device equal the host's, one by one. */
static void
test_compare (gconstpointer data)
{
  const char *prefix = data;
  g_autoptr (GPtrArray) host = g_ptr_array_new_with_free_func (g_free);
  guint i, j = 0, n = 0;

  if (!rv32.done)
    build_and_run ();
  if (rv32.skip_reason != NULL)
    {
      g_test_skip (rv32.skip_reason);
      return;
    }
  g_assert_cmpint (kernel_selftest_run (collect, host), ==, 0);
  for (i = 0; i < host->len; i++)
    {
      const char *h = g_ptr_array_index (host, i);
      if (!g_str_has_prefix (h, prefix))
        continue;
      while (rv32.lines[j] != NULL && !g_str_has_prefix (rv32.lines[j], prefix))
        j++;
      g_assert_nonnull (rv32.lines[j]);
      g_assert_cmpstr (rv32.lines[j], ==, h);
      j++;
      n++;
    }
  g_assert_cmpuint (n, >, 0);
  g_test_message ("%u workloads identical on rv32imc and the host", n);
}

int
main (int argc, char **argv)
{
  static const char *families[] = { "fb_conv_", "fb_depthwise_", "fb_linear_", "fb_add_",
                                     "fb_avgpool_" };
  gsize i;
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/kernels/rv32imc/build-run", test_build_run);
  for (i = 0; i < G_N_ELEMENTS (families); i++)
    {
      char *path = g_strdup_printf ("/kernels/rv32imc/same-as-host/%.*s", 
                                    (int) strlen (families[i] + 3) - 1, families[i] + 3);
      g_test_add_data_func (path, families[i], test_compare);
      g_free (path);
    }
  return g_test_run ();
}
