/* fb-rv32.c — build an rv32imc ELF at run time and run it under QEMU.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gi18n-lib.h>

#include <glib/gstdio.h>

#include "fb-rv32.h"

/* The QEMU virt machine: flash (code) at 0x80000000, RAM after it; -m 128M leaves room for
 * a 112 MiB heap, which the 224x224 layers need. */
static const char *const cflags[] = {
  "-march=rv32imc", "-mabi=ilp32", "-O2", "-std=c99", "--specs=picolibc.specs",
  "--oslib=semihost", "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x400000",
  "-Wl,--defsym=__ram=0x80400000", "-Wl,--defsym=__ram_size=0x7000000", NULL,
};

static const char *const qemu_args[] = {
  "-machine", "virt", "-m", "128M", "-display", "none", "-serial", "none", "-monitor", "none",
  "-bios", "none", "-icount", "shift=0", "-semihosting-config", "enable=on,target=native",
  "-kernel", NULL,
};

const char *const *
fb_rv32_cflags (void)
{
  return cflags;
}

char *
fb_rv32_cflags_string (void)
{
  return g_strjoinv (" ", (char **) cflags);
}

const char *const *
fb_rv32_qemu_args (void)
{
  return qemu_args;
}

char *
fb_rv32_qemu_command_string (void)
{
  g_autofree char *args = g_strjoinv (" ", (char **) qemu_args);
  return g_strconcat (FB_RV32_QEMU, " ", args, NULL);
}

void
fb_rv32_toolchain_free (FbRv32Toolchain *tc)
{
  if (tc == NULL)
    return;
  g_free (tc->cc);
  g_free (tc->qemu);
  g_free (tc->cc_version);
  g_free (tc);
}

FbRv32Toolchain *
fb_rv32_toolchain_find (GError **error)
{
  g_autoptr (FbRv32Toolchain) tc = g_new0 (FbRv32Toolchain, 1);
  g_autofree char *specs = NULL, *version = NULL;

  tc->cc = g_find_program_in_path (FB_RV32_CC);
  tc->qemu = g_find_program_in_path (FB_RV32_QEMU);
  if (tc->cc == NULL || tc->qemu == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s not found; %s"),
                   tc->cc == NULL ? FB_RV32_CC : FB_RV32_QEMU, FB_RV32_INSTALL_HINT);
      return NULL;
    }
  {
    const char *a[] = { tc->cc, "-print-file-name=picolibc.specs", NULL };
    if (!g_spawn_sync (NULL, (char **) a, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &specs,
                       NULL, NULL, NULL)
        || !g_path_is_absolute (g_strstrip (specs)))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("picolibc for riscv64-unknown-elf not found; %s"), FB_RV32_INSTALL_HINT);
        return NULL;
      }
  }
  {
    const char *a[] = { tc->cc, "--version", NULL };
    char *nl;
    if (!g_spawn_sync (NULL, (char **) a, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                       &version, NULL, NULL, NULL)
        || version == NULL)
      version = g_strdup (FB_RV32_CC);
    nl = strchr (version, '\n');
    if (nl != NULL)
      *nl = '\0';
    tc->cc_version = g_strdup (g_strstrip (version));
  }
  return g_steal_pointer (&tc);
}

char *
fb_rv32_find_source_dir (const char *subdir, const char *probe, const char *compiled_in)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  if (root != NULL && *root != '\0')
    {
      g_autofree char *dir = g_build_filename (root, subdir, NULL);
      g_autofree char *p = g_build_filename (dir, probe, NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&dir);
    }
  if (compiled_in != NULL)
    {
      g_autofree char *p = g_build_filename (compiled_in, probe, NULL);
      if (g_file_test (p, G_FILE_TEST_EXISTS))
        return g_strdup (compiled_in);
    }
  return NULL;
}

static gboolean
wait_compiler (GSubprocess *p, const char *cc, GCancellable *cancellable, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_subprocess_communicate_utf8 (p, NULL, cancellable, &text, NULL, error))
    {
      g_subprocess_force_exit (p);
      return FALSE;
    }
  if (!g_subprocess_get_successful (p))
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, _("%s failed: %s"), cc,
                   text != NULL ? text : "");
      return FALSE;
    }
  return TRUE;
}

static GSubprocess *
start_compiler (const char *cc, const char *const *include_dirs, const char *const *extra,
                GError **error)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  gsize i;
  g_ptr_array_add (argv, g_strdup (cc));
  for (i = 0; cflags[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (cflags[i]));
  for (i = 0; include_dirs != NULL && include_dirs[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup_printf ("-I%s", include_dirs[i]));
  for (i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);
  return g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDERR_MERGE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                            error);
}

/* Compiles each source to an object in dir, at most g_get_num_processors () compilers at a
 * time, then links them into out. */
static gboolean
cross_build (FbRv32Toolchain *tc, const char *const *sources, const char *const *include_dirs,
             const char *dir, const char *out, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) objects = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) running = g_ptr_array_new_with_free_func (g_object_unref);
  guint max_jobs = MAX (1, g_get_num_processors ()), i, next = 0, n_sources;
  gboolean ok = TRUE;

  n_sources = g_strv_length ((char **) sources);
  while (ok && (next < n_sources || running->len > 0))
    {
      if (next < n_sources && running->len < max_jobs)
        {
          char *obj = g_strdup_printf ("%s/%u.o", dir, next);
          const char *extra[] = { "-c", sources[next], "-o", obj, NULL };
          GSubprocess *p = start_compiler (tc->cc, include_dirs, extra, error);
          g_ptr_array_add (objects, obj);
          if (p == NULL)
            ok = FALSE;
          else
            g_ptr_array_add (running, p);
          next++;
          continue;
        }
      ok = wait_compiler (g_ptr_array_index (running, 0), tc->cc, cancellable, error);
      g_ptr_array_remove_index (running, 0);
    }
  for (i = 0; i < running->len; i++)
    {
      g_subprocess_force_exit (g_ptr_array_index (running, i));
      g_subprocess_wait (g_ptr_array_index (running, i), NULL, NULL);
    }
  if (ok)
    {
      g_autoptr (GPtrArray) extra = g_ptr_array_new ();
      g_autoptr (GSubprocess) p = NULL;
      for (i = 0; i < objects->len; i++)
        g_ptr_array_add (extra, g_ptr_array_index (objects, i));
      g_ptr_array_add (extra, (gpointer) "-o");
      g_ptr_array_add (extra, (gpointer) out);
      g_ptr_array_add (extra, NULL);
      p = start_compiler (tc->cc, NULL, (const char *const *) extra->pdata, error);
      ok = p != NULL && wait_compiler (p, tc->cc, cancellable, error);
    }
  for (i = 0; i < objects->len; i++)
    g_remove (g_ptr_array_index (objects, i));
  return ok;
}

static void
hash_file (GChecksum *sum, const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autofree char *base = g_path_get_basename (path);
  g_checksum_update (sum, (const guchar *) base, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  if (g_file_get_contents (path, &data, &len, NULL))
    g_checksum_update (sum, (const guchar *) data, (gssize) len);
  g_checksum_update (sum, (const guchar *) "\n", 1);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* SHA-256 of everything the ELF depends on. */
static char *
build_key (FbRv32Toolchain *tc, const char *const *sources, const char *const *include_dirs)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize i;
  g_checksum_update (sum, (const guchar *) tc->cc_version, -1);
  for (i = 0; cflags[i] != NULL; i++)
    g_checksum_update (sum, (const guchar *) cflags[i], -1);
  for (i = 0; sources[i] != NULL; i++)
    hash_file (sum, sources[i]);
  for (i = 0; include_dirs != NULL && include_dirs[i] != NULL; i++)
    {
      g_autoptr (GDir) d = g_dir_open (include_dirs[i], 0, NULL);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *n;
      guint k;
      while (d != NULL && (n = g_dir_read_name (d)) != NULL)
        if (g_str_has_suffix (n, ".h") || g_str_has_suffix (n, ".inc"))
          g_ptr_array_add (names, g_build_filename (include_dirs[i], n, NULL));
      g_ptr_array_sort (names, compare_strings);
      for (k = 0; k < names->len; k++)
        hash_file (sum, g_ptr_array_index (names, k));
    }
  return g_strdup (g_checksum_get_string (sum));
}

static char *
cache_dir (void)
{
  const char *env = g_getenv ("FB_RV32_CACHE_DIR");
  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_cache_dir (), "freebits", "rv32", NULL);
}

char *
fb_rv32_build_elf (FbRv32Toolchain *tc, const char *name, const char *const *sources,
                   const char *const *include_dirs, gboolean *temporary,
                   GCancellable *cancellable, GError **error)
{
  g_autofree char *key = build_key (tc, sources, include_dirs);
  g_autofree char *cdir = cache_dir ();
  g_autofree char *elf_name = g_strdup_printf ("%s-%.16s.elf", name, key);
  g_autofree char *cached = g_build_filename (cdir, elf_name, NULL);
  g_autofree char *tmp = NULL, *out = NULL;
  gboolean use_cache = g_strcmp0 (g_getenv ("FB_RV32_NO_CACHE"), "1") != 0;

  *temporary = FALSE;
  if (use_cache && g_file_test (cached, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&cached);
  tmp = g_dir_make_tmp ("freebits-rv32-XXXXXX", error);
  if (tmp == NULL)
    return NULL;
  out = g_build_filename (tmp, elf_name, NULL);
  if (!cross_build (tc, sources, include_dirs, tmp, out, cancellable, error))
    {
      g_remove (out);
      g_rmdir (tmp);
      return NULL;
    }
  /* publish atomically: concurrent builders of the same key write the same bytes */
  if (use_cache && g_mkdir_with_parents (cdir, 0755) == 0 && g_rename (out, cached) == 0)
    {
      g_rmdir (tmp);
      return g_steal_pointer (&cached);
    }
  *temporary = TRUE;
  return g_steal_pointer (&out);
}

void
fb_rv32_remove_temporary (const char *elf)
{
  g_autofree char *dir = g_path_get_dirname (elf);
  g_remove (elf);
  g_rmdir (dir);
}

GSubprocess *
fb_rv32_spawn (FbRv32Toolchain *tc, const char *elf, const char *cwd, GError **error)
{
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  gsize i;

  g_ptr_array_add (argv, tc->qemu);
  for (i = 0; qemu_args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) qemu_args[i]);
  g_ptr_array_add (argv, (gpointer) elf);
  g_ptr_array_add (argv, NULL);
  if (cwd != NULL)
    g_subprocess_launcher_set_cwd (l, cwd);
  /* stdin stays unconnected (/dev/null): QEMU must not put the terminal in raw mode */
  return g_subprocess_launcher_spawnv (l, (const char *const *) argv->pdata, error);
}

gboolean
fb_rv32_run (FbRv32Toolchain *tc, const char *elf, const char *cwd, char **output,
             GCancellable *cancellable, GError **error)
{
  g_autoptr (GSubprocess) p = fb_rv32_spawn (tc, elf, cwd, error);
  g_autofree char *err = NULL;
  if (p == NULL)
    return FALSE;
  if (!g_subprocess_communicate_utf8 (p, NULL, cancellable, NULL, &err, error))
    {
      g_subprocess_force_exit (p);
      g_subprocess_wait (p, NULL, NULL);
      return FALSE;
    }
  if (!g_subprocess_get_successful (p))
    {
      g_autofree char *what = g_subprocess_get_if_exited (p)
                                ? g_strdup_printf ("exited with status %d",
                                                   g_subprocess_get_exit_status (p))
                                : g_strdup ("was killed");
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s %s: %s", FB_RV32_QEMU, what,
                   err != NULL ? err : "");
      return FALSE;
    }
  if (output != NULL)
    *output = g_steal_pointer (&err);
  return TRUE;
}
