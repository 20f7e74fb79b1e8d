/* main.c — freebits, the GTK application.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "fb-app-locale.h"
#include "fb-application.h"
#include "fb-search-job.h"

static int
on_handle_local_options (GApplication *app, GVariantDict *options, gpointer user_data)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("freebits %s\n", FB_VERSION);
      return 0;
    }
  if (g_variant_dict_contains (options, "search"))
    {
      const char *nick = NULL;
      FbSearchMethod method;

      g_variant_dict_lookup (options, "search", "&s", &nick);
      /* The panel offers every method but the BOPs-targeted baseline (a
       * Pareto front with fixed objectives: the panel's Pareto search with
       * BOPs). */
      if (!fb_search_method_from_nick (nick, &method) || method == FB_SEARCH_METHOD_BOPS)
        {
          g_printerr (_("freebits: --search: unknown method \"%s\" (expected uniform, diff, free-bits or pareto)\n"),
                      nick);
          return 2;
        }
      fb_application_set_startup_search (FB_APPLICATION (app), method);
    }
  if (g_variant_dict_contains (options, "compare"))
    fb_application_set_startup_compare (FB_APPLICATION (app), TRUE);
  /* Say plainly what is wrong instead of GTK's bare warning; tools/run
   * relies on the exit status to fall back to the CLI. */
  if (!gtk_init_check (NULL, NULL))
    {
      g_printerr (_("freebits: cannot open a display (is DISPLAY or WAYLAND_DISPLAY set?); "
                    "freebits-cli works without one\n"));
      return 3;
    }
  return -1; /* keep going */
}

int
main (int argc, char **argv)
{
  g_autoptr(FbApplication) app = NULL;

  /* Our own worker threads give way to the main loop on a busy machine. */
  fb_application_lower_worker_priority (10);
  fb_app_locale_init ();
  /* The recent-files filter and "app_name" of saved entries use this. */
  g_set_application_name ("freebits");

  app = fb_application_new ();
  g_signal_connect (app, "handle-local-options", G_CALLBACK (on_handle_local_options), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
