/* fb-file.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-file.h"

static const char *
describe_mode (mode_t mode)
{
  if (S_ISDIR (mode))
    return "a directory";
  if (S_ISFIFO (mode))
    return "a FIFO";
  if (S_ISCHR (mode))
    return "a character device";
  if (S_ISBLK (mode))
    return "a block device";
  if (S_ISSOCK (mode))
    return "a socket";
  return "not a regular file";
}

static gboolean
fail_too_large (const char *path, gsize max_bytes, const char *what, GError **error)
{
  /* Plain ASCII: g_format_size() puts a no-break space before the unit. */
  g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: larger than %zu MiB, the limit for %s"),
               path, max_bytes >> 20, what);
  return FALSE;
}

gboolean
fb_file_read (const char *path, gsize max_bytes, const char *what,
              char **contents, gsize *length, GError **error)
{
  g_autofree char *buf = NULL;
  struct stat st;
  gsize used = 0, size;
  int fd;

  *contents = NULL;
  *length = 0;
  /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot open: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot stat: %s"), path, g_strerror (saved));
      close (fd);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: is %s, expected %s (a regular file)"),
                   path, describe_mode (st.st_mode), what);
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      close (fd);
      return fail_too_large (path, max_bytes, what, error);
    }
  /* Read to the end, not to st_size: the file may grow or shrink meanwhile;
   * still never past the limit. */
  size = (gsize) st.st_size + 1;
  buf = g_malloc (size + 1);
  for (;;)
    {
      gssize n;

      if (used == size)
        {
          if (size > max_bytes)
            {
              close (fd);
              return fail_too_large (path, max_bytes, what, error);
            }
          size = MIN (size * 2, max_bytes + 1);
          buf = g_realloc (buf, size + 1);
        }
      n = read (fd, buf + used, size - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot read: %s"), path, g_strerror (saved));
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break;
      used += (gsize) n;
    }
  close (fd);
  if (used > max_bytes)
    return fail_too_large (path, max_bytes, what, error);
  buf[used] = '\0';
  *contents = g_steal_pointer (&buf);
  *length = used;
  return TRUE;
}

/* Removes ".NAME.fb-tmp-XXXXXX" files a killed writer of @path left behind. */
static void
remove_stale_temporaries (const char *dir, const char *prefix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix) && strlen (name) == strlen (prefix) + 6)
      g_ptr_array_add (stale, g_build_filename (dir, name, NULL));
  for (guint i = 0; i < stale->len; i++)
    g_unlink (g_ptr_array_index (stale, i));
}

static gboolean
write_all (int fd, const char *data, gsize length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= (gsize) n;
    }
  return TRUE;
}

gboolean
fb_file_write_atomic (const char *path, const void *data, gsize length, int mode, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *prefix = g_strdup_printf (".%s.fb-tmp-", base);
  g_autofree char *tmp = g_strdup_printf ("%s%s%sXXXXXX", dir, G_DIR_SEPARATOR_S, prefix);
  int fd, saved;

  remove_stale_temporaries (dir, prefix);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, mode);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot write (creating a temporary file in %s): %s"),
                   path, dir, g_strerror (saved));
      return FALSE;
    }
  if (!write_all (fd, data, length) || fsync (fd) != 0)
    {
      saved = errno;
      close (fd);
      g_unlink (tmp);
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot write: %s"), path, g_strerror (saved));
      return FALSE;
    }
  /* Test-only: die like kill -9 with the temporary written but not renamed. */
  if (g_strcmp0 (g_getenv ("FB_TEST_WRITE_FAULT"), "before-rename") == 0)
    raise (SIGKILL);
  if (close (fd) != 0 || g_rename (tmp, path) != 0)
    {
      saved = errno;
      g_unlink (tmp);
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: cannot write: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
