/* fb-export-test-util.c — see fb-export-test-util.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-export-test-util.h"

int
fb_export_test_run (const char *cwd, const char *const *argv, char **output)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) l =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) p = NULL;

  g_subprocess_launcher_set_cwd (l, cwd);
  p = g_subprocess_launcher_spawnv (l, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, NULL, NULL, output, NULL, &error);
  g_assert_no_error (error);
  return g_subprocess_get_if_exited (p) ? g_subprocess_get_exit_status (p) : 128;
}

char *
fb_export_test_run_ok (const char *cwd, const char *const *argv)
{
  char *output = NULL;
  int status = fb_export_test_run (cwd, argv, &output);

  if (status != 0)
    {
      g_autofree char *command = g_strjoinv (" ", (char **) argv);
      g_test_message ("%s:\n%s", command, output);
    }
  g_assert_cmpint (status, ==, 0);
  return output;
}
