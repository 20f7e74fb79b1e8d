/* fb-test-util.h — small helpers shared by the core tests (header only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "fb-error.h"
#include "fb-network.h"

/* One malformed file and what its error must say. @mentions are substrings
 * the message must contain (besides the file name, always required); an
 * entry starting with "re:" is a regular expression instead. */
typedef struct {
  const char *file;
  FbError     code;
  const char *mentions[5];
} FbBadCase;

/* A file under tests/data/ (G_TEST_SRCDIR is the tests/ directory). */
static inline char *
fb_test_data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

/* A bundled network under data/networks/ of the source tree. */
static inline char *
fb_test_network_path (const char *name)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  if (root != NULL)
    return g_build_filename (root, "data", "networks", name, NULL);
  return g_test_build_filename (G_TEST_DIST, "..", "data", "networks", name, NULL);
}

static inline FbNetwork *
fb_test_load_network (const char *path)
{
  g_autoptr(GError) error = NULL;
  FbNetwork *net = fb_network_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (net);
  return net;
}

static inline FbNetwork *
fb_test_load_bundled (const char *name)
{
  g_autofree char *path = fb_test_network_path (name);
  return fb_test_load_network (path);
}

static inline FbNetwork *
fb_test_network_from_string (const char *json)
{
  g_autoptr(GError) error = NULL;
  FbNetwork *net = fb_network_load_from_data (json, -1, "inline", &error);
  g_assert_no_error (error);
  g_assert_nonnull (net);
  return net;
}

/* Fails the test case unless @message contains @needle (or matches it, "re:"). */
static inline void
fb_test_assert_mentions (const char *message, const char *needle)
{
  gboolean found;

  /* Spelled out so the compiler sees needle + 3 is only taken on long needles. */
  if (needle[0] == 'r' && needle[1] == 'e' && needle[2] == ':')
    found = g_regex_match_simple (needle + 3, message, 0, 0);
  else
    found = strstr (message, needle) != NULL;
  if (!found)
    {
      g_test_message ("error message: %s", message);
      g_test_fail_printf ("the message does not mention %s", needle);
    }
}

/* Asserts @error is FB_ERROR/@c->code and names the file and every mention. */
static inline void
fb_test_assert_bad_case (const GError *error, const FbBadCase *c)
{
  g_assert_error (error, FB_ERROR, (gint) c->code);
  g_test_message ("%s: got: %s", c->file, error->message);
  fb_test_assert_mentions (error->message, c->file);
  for (guint i = 0; i < G_N_ELEMENTS (c->mentions) && c->mentions[i] != NULL; i++)
    fb_test_assert_mentions (error->message, c->mentions[i]);
}

/* A fresh temporary directory, removed (with its plain files) by fb_test_tmpdir_free. */
static inline char *
fb_test_tmpdir_new (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("freebits-test-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static inline void
fb_test_tmpdir_free (char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_remove (path);
        }
      g_dir_close (d);
    }
  g_rmdir (dir);
  g_free (dir);
}

static inline char *
fb_test_read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&text);
}

/* Offset of @needle in @haystack; fails the test if absent. */
static inline gsize
fb_test_offset_of (const char *haystack, const char *needle)
{
  const char *p = strstr (haystack, needle);
  g_assert_nonnull (p);
  return (gsize) (p - haystack);
}
