/* fb-ui-test-util.h — what every in-process GTK test binary does first
 * (header only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <locale.h>
#include <stdlib.h>

#include <gtk/gtk.h>

#include "fb-application.h"
#include "fb-window-private.h"

/* Worker threads below the main thread (as main() does; FB_TEST_WORKER_NICE=0
 * measures without it), the C locale, a throwaway home for recent files and
 * settings (not G_TEST_OPTION_ISOLATE_DIRS: it also hides XDG_DATA_DIRS, and
 * with it the MIME database GTK needs for its icons), g_test_init, windows
 * without an accuracy engine unless a test asks for one, GTK. Returns the
 * registered application, or NULL without a display (tests then skip). */
static inline FbApplication *
fb_ui_test_init (int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = g_dir_make_tmp ("fb-test-home-XXXXXX", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  FbApplication *app;

  fb_application_lower_worker_priority (g_getenv ("FB_TEST_WORKER_NICE")
                                        ? atoi (g_getenv ("FB_TEST_WORKER_NICE")) : 10);
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_test_init (argc, argv, NULL);
  g_set_application_name ("freebits");
  fb_window_set_accuracy_defaults (FALSE, 0, NULL);
  if (!gtk_init_check (argc, argv))
    return NULL;
  app = fb_application_new ();
  /* Tests may run next to a real instance; never hand over to it. */
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  return app;
}
