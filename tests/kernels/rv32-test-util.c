/* rv32-test-util.c — see rv32-test-util.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "rv32-test-util.h"

#include "fb-rv32.h"

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

char *
rv32_test_build_run (const char *name, const char *const *test_files, char **skip_reason)
{
  g_autoptr (FbRv32Toolchain) tc = NULL;
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *elf = NULL;
  const char *include_dirs[] = { FB_KERNELS_SOURCE_DIR, FB_KERNELS_TEST_DIR, NULL };
  gboolean temporary = FALSE;
  char *out = NULL;

  tc = fb_rv32_toolchain_find (&error);
  if (tc == NULL)
    {
      *skip_reason = g_strdup (error->message);
      return NULL;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (kernel_files); i++)
    g_ptr_array_add (sources, g_build_filename (FB_KERNELS_SOURCE_DIR, kernel_files[i], NULL));
  for (const char *const *f = test_files; *f != NULL; f++)
    g_ptr_array_add (sources, g_build_filename (FB_KERNELS_TEST_DIR, *f, NULL));
  g_ptr_array_add (sources, NULL);

  elf = fb_rv32_build_elf (tc, name, (const char *const *) sources->pdata, include_dirs,
                           &temporary, NULL, &error);
  g_assert_no_error (error);
  fb_rv32_run (tc, elf, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (temporary)
    fb_rv32_remove_temporary (elf);
  g_strdelimit (out, "\r", '\n');
  return out;
}
