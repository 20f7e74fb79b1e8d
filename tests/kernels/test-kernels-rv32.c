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

#ifndef FB_KERNELS_SOURCE_DIR
#error "FB_KERNELS_SOURCE_DIR must name src/kernels"
#endif
#ifndef FB_KERNELS_TEST_DIR
#error "FB_KERNELS_TEST_DIR must name tests/kernels"
#endif

#define CROSS_CC "riscv64-unknown-elf-gcc"
#define QEMU "qemu-system-riscv32"
#define INSTALL_HINT "install the Debian packages gcc-riscv64-unknown-elf, " \
                     "picolibc-riscv64-unknown-elf and qemu-system-misc"

static const char *kernel_files[] = {
  "fb-kernel-common.c", "fb-kernel-pack.c", "fb-kernel-conv.c", "fb-kernel-depthwise.c",
  "fb-kernel-linear.c", "fb-kernel-add.c", "fb-kernel-dispatch.c", "fb-kernel-ref.c",
  "fb-kernel-bench.c",
};

static struct {
  gboolean done;
  char *skip_reason;   /* non-NULL: skip everything */
  char **lines;        /* from QEMU */
} rv32;

/* Compiles each source to an object in dir, at most g_get_num_processors () compilers at a
 * time, then links them into out.  flags: options for every step (NULL-free array). */
static gboolean
cross_build (const char *cc, const char *const *flags, gsize n_flags, GPtrArray *sources,
             const char *dir, const char *out, GError **error)
{
  g_autoptr (GPtrArray) objects = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) running = g_ptr_array_new_with_free_func (g_object_unref);
  guint max_jobs = MAX (1, g_get_num_processors ()), i, next = 0;
  gboolean ok = TRUE;

  while (ok && (next < sources->len || running->len > 0))
    {
      if (next < sources->len && running->len < max_jobs)
        {
          g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
          GSubprocess *p;
          char *obj = g_strdup_printf ("%s/%u.o", dir, next);
          gsize f;
          g_ptr_array_add (argv, g_strdup (cc));
          for (f = 0; f < n_flags; f++)
            g_ptr_array_add (argv, g_strdup (flags[f]));
          g_ptr_array_add (argv, g_strdup ("-c"));
          g_ptr_array_add (argv, g_strdup (g_ptr_array_index (sources, next)));
          g_ptr_array_add (argv, g_strdup ("-o"));
          g_ptr_array_add (argv, g_strdup (obj));
          g_ptr_array_add (argv, NULL);
          g_ptr_array_add (objects, obj);
          p = g_subprocess_newv ((const char *const *) argv->pdata,
                                 G_SUBPROCESS_FLAGS_STDERR_MERGE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                 error);
          if (p == NULL)
            ok = FALSE;
          else
            g_ptr_array_add (running, p);
          next++;
          continue;
        }
      /* wait for the oldest job */
      {
        GSubprocess *p = g_ptr_array_index (running, 0);
        g_autofree char *text = NULL;
        if (!g_subprocess_communicate_utf8 (p, NULL, NULL, &text, NULL, error))
          ok = FALSE;
        else if (!g_subprocess_get_successful (p))
          {
            g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", cc,
                         text != NULL ? text : "");
            ok = FALSE;
          }
        g_ptr_array_remove_index (running, 0);
      }
    }
  for (i = 0; i < running->len; i++)
    g_subprocess_wait (g_ptr_array_index (running, i), NULL, NULL);
  if (ok)
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GSubprocess) p = NULL;
      g_autofree char *text = NULL;
      gsize f;
      g_ptr_array_add (argv, g_strdup (cc));
      for (f = 0; f < n_flags; f++)
        g_ptr_array_add (argv, g_strdup (flags[f]));
      for (i = 0; i < objects->len; i++)
        g_ptr_array_add (argv, g_strdup (g_ptr_array_index (objects, i)));
      g_ptr_array_add (argv, g_strdup ("-o"));
      g_ptr_array_add (argv, g_strdup (out));
      g_ptr_array_add (argv, NULL);
      p = g_subprocess_newv ((const char *const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDERR_MERGE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                             error);
      ok = p != NULL && g_subprocess_communicate_utf8 (p, NULL, NULL, &text, NULL, error);
      if (ok && !g_subprocess_get_successful (p))
        {
          g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", cc,
                       text != NULL ? text : "");
          ok = FALSE;
        }
    }
  for (i = 0; i < objects->len; i++)
    g_remove (g_ptr_array_index (objects, i));
  return ok;
}

static void
collect (const char *line, void *user_data)
{
  g_ptr_array_add ((GPtrArray *) user_data, g_strdup (line));
}

/* Runs argv; *out receives stdout followed by stderr (QEMU writes the semihosting console,
 * which picolibc opens as ":tt" in append mode, to its stderr). */
static gboolean
run_argv (GPtrArray *argv, char **out, int *status, GError **error)
{
  g_autofree char *o = NULL, *e = NULL;
  gboolean ok;
  g_ptr_array_add (argv, NULL);
  ok = g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e,
                     status, error);
  *out = g_strconcat (o != NULL ? o : "", "\n", e != NULL ? e : "", NULL);
  return ok;
}

static void
build_and_run (void)
{
  g_autofree char *cc = NULL, *qemu = NULL, *specs = NULL, *dir = NULL, *elf = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  int status = 0;
  gsize i;

  rv32.done = TRUE;
  cc = g_find_program_in_path (CROSS_CC);
  qemu = g_find_program_in_path (QEMU);
  if (cc == NULL || qemu == NULL)
    {
      rv32.skip_reason = g_strdup_printf ("%s not found: " INSTALL_HINT,
                                          cc == NULL ? CROSS_CC : QEMU);
      return;
    }
  {
    const char *a[] = { cc, "-print-file-name=picolibc.specs", NULL };
    if (!g_spawn_sync (NULL, (char **) a, NULL, 0, NULL, NULL, &specs, NULL, NULL, NULL)
        || !g_path_is_absolute (g_strstrip (specs)))
      {
        rv32.skip_reason = g_strdup ("picolibc for riscv64-unknown-elf not found: " INSTALL_HINT);
        return;
      }
  }

  dir = g_dir_make_tmp ("freebits-rv32-XXXXXX", &error);
  g_assert_no_error (error);
  elf = g_build_filename (dir, "selftest.elf", NULL);

  {
    static const char *flags[] = {
      "-march=rv32imc", "-mabi=ilp32", "-O2", "-std=c99", "-Wall", "-Wextra",
      "--specs=picolibc.specs", "--oslib=semihost",
      "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x400000",
      "-Wl,--defsym=__ram=0x80400000", "-Wl,--defsym=__ram_size=0x7000000",
      "-I" FB_KERNELS_SOURCE_DIR, "-I" FB_KERNELS_TEST_DIR,
    };
    g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
    for (i = 0; i < G_N_ELEMENTS (kernel_files); i++)
      g_ptr_array_add (sources, g_build_filename (FB_KERNELS_SOURCE_DIR, kernel_files[i], NULL));
    g_ptr_array_add (sources, g_build_filename (FB_KERNELS_TEST_DIR, "kernel-selftest.c", NULL));
    g_ptr_array_add (sources, g_build_filename (FB_KERNELS_TEST_DIR, "rv32-selftest-main.c", NULL));
    cross_build (cc, flags, G_N_ELEMENTS (flags), sources, dir, elf, &error);
    g_assert_no_error (error);
  }

  /* run, with a generous bound in case QEMU hangs */
  g_ptr_array_set_size (argv, 0);
  if (g_find_program_in_path ("timeout") != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("timeout"));
      g_ptr_array_add (argv, g_strdup ("300"));
    }
  g_ptr_array_add (argv, g_strdup (qemu));
  g_ptr_array_add (argv, g_strdup ("-machine"));
  g_ptr_array_add (argv, g_strdup ("virt"));
  g_ptr_array_add (argv, g_strdup ("-m"));
  g_ptr_array_add (argv, g_strdup ("128M"));
  g_ptr_array_add (argv, g_strdup ("-nographic"));
  g_ptr_array_add (argv, g_strdup ("-bios"));
  g_ptr_array_add (argv, g_strdup ("none"));
  g_ptr_array_add (argv, g_strdup ("-icount"));
  g_ptr_array_add (argv, g_strdup ("shift=0"));
  g_ptr_array_add (argv, g_strdup ("-kernel"));
  g_ptr_array_add (argv, g_strdup (elf));
  g_ptr_array_add (argv, g_strdup ("-semihosting-config"));
  g_ptr_array_add (argv, g_strdup ("enable=on,target=native"));
  run_argv (argv, &out, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strdelimit (out, "\r", '\n');
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
  g_remove (elf);
  g_rmdir (dir);
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
  /* the ELF checked every workload against the reference on the device */
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
