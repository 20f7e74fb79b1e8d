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
#include "fb-rv32.h"
#include "winograd-selftest.h"

#ifndef FB_KERNELS_SOURCE_DIR
#error "FB_KERNELS_SOURCE_DIR must name src/kernels"
#endif
#ifndef FB_KERNELS_TEST_DIR
#error "FB_KERNELS_TEST_DIR must name tests/kernels"
#endif

static const char *kernel_files[] = {
  "fb-kernel-common.c", "fb-kernel-pack.c", "fb-kernel-conv.c", "fb-kernel-conv-winograd.c",
  "fb-kernel-depthwise.c", "fb-kernel-linear.c", "fb-kernel-add.c", "fb-kernel-dispatch.c",
  "fb-kernel-ref.c", "fb-kernel-bench.c",
};

static void
collect (const char *line, void *user_data)
{
  g_ptr_array_add ((GPtrArray *) user_data, g_strdup (line));
}

static void
test_rv32 (void)
{
  g_autoptr (FbRv32Toolchain) tc = NULL;
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) host = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *elf = NULL, *out = NULL, *done = NULL;
  const char *include_dirs[] = { FB_KERNELS_SOURCE_DIR, FB_KERNELS_TEST_DIR, NULL };
  gboolean temporary = FALSE;
  char **lines, **l;
  guint i, j = 0;
  int n = 0;

  tc = fb_rv32_toolchain_find (&error);
  if (tc == NULL)
    {
      g_test_skip (error->message);
      return;
    }
  for (i = 0; i < G_N_ELEMENTS (kernel_files); i++)
    g_ptr_array_add (sources, g_build_filename (FB_KERNELS_SOURCE_DIR, kernel_files[i], NULL));
  g_ptr_array_add (sources, g_build_filename (FB_KERNELS_TEST_DIR, "winograd-selftest.c", NULL));
  g_ptr_array_add (sources, g_build_filename (FB_KERNELS_TEST_DIR, "rv32-winograd-main.c", NULL));
  g_ptr_array_add (sources, NULL);
  elf = fb_rv32_build_elf (tc, "winograd-selftest", (const char *const *) sources->pdata,
                           include_dirs, &temporary, NULL, &error);
  g_assert_no_error (error);
  fb_rv32_run (tc, elf, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (temporary)
    fb_rv32_remove_temporary (elf);

  /* the host path takes packed weights: the same outputs by another algorithm */
  g_assert_cmpint (winograd_selftest_run (collect, host, &n, NULL), ==, 0);
  done = g_strdup_printf ("done 0 %d", n);
  g_strdelimit (out, "\r", '\n');
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
