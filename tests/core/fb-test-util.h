/* fb-test-util.h — small helpers shared by the core tests (header only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>
#include <sys/wait.h>

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

/* tests/data/net-small.json: layers conv1 dw1 pw6 dw6 pw8 res(add) pool fc; activation
 * tensors c1 d1 p6 q6 p8 r (p6 and q6 have 6 channels: 8 or 4 bits only), pool output
 * "pooled", logits "logits", input "in". */
static inline FbNetwork *
fb_test_load_small (void)
{
  g_autofree char *path = fb_test_data_path ("net-small.json");
  return fb_test_load_network (path);
}

/* The index of layer @name of @net; fails the test if there is none. */
static inline guint
fb_test_layer_index (FbNetwork *net, const char *name)
{
  const FbLayer *l = fb_network_lookup_layer (net, name);
  g_assert_nonnull (l);
  return l->index;
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

/* $FB_SOURCE_ROOT/@first/... (NULL-terminated). */
static inline char *
fb_test_source_path (const char *first, ...)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  g_autofree char *rel = NULL;
  va_list ap;

  g_assert_nonnull (root);
  va_start (ap, first);
  rel = g_build_filename_valist (first, &ap);
  va_end (ap);
  return g_build_filename (root, rel, NULL);
}

/* Removes @path and, for a directory, everything below it (symbolic links are removed, not
 * followed). */
static inline void
fb_test_remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      GDir *d = g_dir_open (path, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          fb_test_remove_tree (child);
        }
      if (d != NULL)
        g_dir_close (d);
      g_rmdir (path);
    }
  else
    g_remove (path);
}

/* A fresh temporary directory, removed (with everything in it) by fb_test_tmpdir_free. */
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
  fb_test_remove_tree (dir);
  g_free (dir);
}

/* One run of freebits-cli ($FB_CLI, set by the tests' meson.build). */
typedef struct {
  int   status;   /* exit status, or 128 + the signal that ended it */
  char *out;
  char *err;
} FbTestRun;

static inline void
fb_test_run_clear (FbTestRun *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FbTestRun, fb_test_run_clear)

/* Runs $FB_CLI with the NULL-terminated @args (after the binary) to the end. */
static inline void
fb_test_run_cli (FbTestRun *r, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_nonnull (g_getenv ("FB_CLI"));
  g_ptr_array_add (argv, (gpointer) g_getenv ("FB_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  r->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
  g_test_message ("exit %d, stderr: %s", r->status, r->err);
}

/* Runs $FB_CLI with @args and asserts its exit @status and, unless @mention is NULL, that
 * its stderr mentions @mention (as fb_test_assert_mentions). */
static inline void
fb_test_cli_expect (const char *const *args, int status, const char *mention)
{
  g_auto(FbTestRun) r = { 0 };

  fb_test_run_cli (&r, args);
  g_assert_cmpint (r.status, ==, status);
  if (mention != NULL)
    fb_test_assert_mentions (r.err, mention);
}

/* Skips the test case (and returns TRUE) unless $FB_CLI is set and has @command (its --help
 * succeeds). */
static inline gboolean
fb_test_skip_without_cli (const char *command)
{
  const char *cli = g_getenv ("FB_CLI");
  const char *argv[] = { cli, command, "--help", NULL };
  int status = -1;

  if (cli != NULL &&
      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL) &&
      g_spawn_check_wait_status (status, NULL))
    return FALSE;
  g_test_skip_printf ("freebits-cli has no %s command in this build ($FB_CLI)", command);
  return TRUE;
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
