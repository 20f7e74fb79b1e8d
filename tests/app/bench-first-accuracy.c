/* bench-first-accuracy.c — how long the window waits for its first measured
 * accuracy: FbAccuracyEngine loaded as the GUI loads it (weights, data sets,
 * the nn oracle, in a worker thread), then the config in the summary asked
 * for as the GUI asks (fb_accuracy_engine_measure_current, its quiet time
 * included). Not a test: tools/bench-oracle.sh runs it.
 *
 * Usage: bench-first-accuracy NETWORK [CONFIG...]   (CONFIG: wXaY or a file;
 * default w8a8, the config a freshly opened network shows). Prints one JSON
 * line per config: seconds from start to the engine and to the accuracy.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <sys/resource.h>

#include "fb-accuracy-engine.h"
#include "fb-network.h"
#include "fb-precision-config.h"

typedef struct {
  GMainLoop        *loop;
  FbAccuracyEngine *engine;
  GError           *error;
  FbPrecisionConfig *wanted;
  double            accuracy;
  gboolean          measured;
} Run;

static gint64 t0;

static double
since_start (void)
{
  return (g_get_monotonic_time () - t0) / 1e6;
}

/* User + system seconds of the process (all threads): the steadier figure on a loaded machine. */
static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *r = data;

  r->engine = fb_accuracy_engine_load_finish (result, &r->error);
  g_main_loop_quit (r->loop);
}

static void
on_measured (FbAccuracyEngine *engine, FbPrecisionConfig *config, guint limit, double accuracy, gpointer data)
{
  Run *r = data;

  if (!fb_precision_config_equal (config, r->wanted))
    return;   /* a baseline */
  r->accuracy = accuracy;
  r->measured = TRUE;
  g_main_loop_quit (r->loop);
}

static void
on_failed (FbAccuracyEngine *engine, FbPrecisionConfig *config, const GError *error, gpointer data)
{
  Run *r = data;

  r->error = g_error_copy (error);
  g_main_loop_quit (r->loop);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Run r = { loop, NULL, NULL, NULL, 0, FALSE };
  double loaded_s;

  t0 = g_get_monotonic_time ();
  if (argc < 2)
    {
      g_printerr ("usage: %s NETWORK [CONFIG...]\n", argv[0]);
      return 2;
    }
  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  fb_accuracy_engine_load_async (net, NULL, NULL, on_loaded, &r);
  g_main_loop_run (loop);
  if (r.engine == NULL)
    {
      g_printerr ("engine: %s\n", r.error->message);
      return 1;
    }
  loaded_s = since_start ();
  g_signal_connect (r.engine, "measured", G_CALLBACK (on_measured), &r);
  g_signal_connect (r.engine, "failed", G_CALLBACK (on_failed), &r);
  for (int i = 2; i <= MAX (argc - 1, 2); i++)
    {
      const char *name = i < argc ? argv[i] : "w8a8";
      g_autoptr(FbPrecisionConfig) config = NULL;
      double asked = since_start ();
      guint w, a;

      if (sscanf (name, "w%ua%u", &w, &a) == 2)
        config = fb_precision_config_new_uniform (net, w, a, &error);
      else
        config = fb_precision_config_load (net, name, &error);

      if (config == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      r.measured = FALSE;
      r.wanted = config;
      fb_accuracy_engine_measure_current (r.engine, config, fb_accuracy_engine_get_default_limit (r.engine));
      /* Then, as the window does when its engine is ready, the nine uniform
       * baselines in the background. */
      for (guint wb = 8; wb >= 2 && i == 2; wb /= 2)
        for (guint ab = 8; ab >= 2; ab /= 2)
          {
            g_autoptr(FbPrecisionConfig) u = fb_precision_config_new_uniform (net, wb, ab, NULL);
            if (u != NULL)
              fb_accuracy_engine_measure_background (r.engine, u, fb_accuracy_engine_get_default_limit (r.engine));
          }
      g_main_loop_run (loop);
      if (!r.measured)
        {
          g_printerr ("%s: %s\n", name, r.error != NULL ? r.error->message : "not measured");
          return 1;
        }
      printf ("{\"config\": \"%s\", \"engine_s\": %.3f, \"asked_at_s\": %.3f, \"accuracy_at_s\": %.3f, "
              "\"cpu_s\": %.3f, \"accuracy\": %.4f, \"images\": %u}\n",
              name, loaded_s, asked, since_start (), cpu_seconds (), r.accuracy,
              fb_accuracy_engine_get_default_limit (r.engine));
      fflush (stdout);
    }
  g_object_unref (r.engine);
  return 0;
}
