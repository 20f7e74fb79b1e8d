/* test-cli-locale.c — freebits-cli speaks the user's language: under
 * LANG=de_DE.UTF-8 the error a library gives (here: a network file that does
 * not exist) comes out in German, from po/de.po compiled in the build tree.
 *
 * Machines without the de_DE.UTF-8 locale get one made with localedef into a
 * temporary LOCPATH; where that cannot be done the test skips and says why.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>

#include "fb-test-util.h"

/* A directory for LOCPATH holding de_DE.UTF-8, or NULL when the system has
 * the locale already. Sets *skip to a reason when neither works. */
static char *
german_locpath (char **skip)
{
  g_autofree char *dir = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (setlocale (LC_ALL, "de_DE.UTF-8") != NULL)
    {
      setlocale (LC_ALL, "C");
      return NULL;
    }
  dir = g_dir_make_tmp ("freebits-locale-XXXXXX", &error);
  g_assert_no_error (error);
  {
    g_autofree char *target = g_build_filename (dir, "de_DE.UTF-8", NULL);
    const char *argv[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", target, NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                       &out, &err, &status, &error) ||
        !g_spawn_check_wait_status (status, NULL))
      {
        *skip = g_strdup_printf ("no de_DE.UTF-8 locale, and localedef cannot make one "
                                 "(install the Debian package locales): %s",
                                 error != NULL ? error->message : g_strstrip (err));
        return NULL;
      }
  }
  return g_steal_pointer (&dir);
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    {
      g_remove (dir);
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        rm_rf (child);
      else
        g_remove (child);
    }
  g_rmdir (dir);
}

static void
test_metrics_missing_file_german (void)
{
  g_autofree char *skip = NULL;
  g_autofree char *locpath = german_locpath (&skip);
  g_autofree char *missing = fb_test_data_path ("missing.json");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) envp = g_get_environ ();
  const char *argv[] = { g_getenv ("FB_CLI"), "metrics", missing, NULL };
  int status = 0;

  if (skip != NULL)
    {
      g_test_skip (skip);
      return;
    }
  g_assert_nonnull (argv[0]);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  /* Only LANG chooses the language, as for a user who set just that. */
  envp = g_environ_unsetenv (envp, "LC_ALL");
  envp = g_environ_unsetenv (envp, "LC_MESSAGES");
  envp = g_environ_unsetenv (envp, "LANGUAGE");
  envp = g_environ_setenv (envp, "LANG", "de_DE.UTF-8", TRUE);
  if (locpath != NULL)
    envp = g_environ_setenv (envp, "LOCPATH", locpath, TRUE);

  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  if (locpath != NULL)
    rm_rf (locpath);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 2);
  g_assert_cmpstr (out, ==, "");
  /* One line: the program, the file, and po/de.po's words for "cannot open". */
  g_assert_true (g_str_has_prefix (err, "freebits-cli: "));
  g_assert_nonnull (strstr (err, "missing.json: kann nicht geöffnet werden: "));
  g_assert_null (strstr (err, "cannot open"));
  g_assert_nonnull (strchr (err, '\n'));
  g_assert_cmpstr (strchr (err, '\n') + 1, ==, "");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/locale/german-error", test_metrics_missing_file_german);
  return g_test_run ();
}
