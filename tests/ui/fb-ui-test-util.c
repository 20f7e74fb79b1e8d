/* fb-ui-test-util.c — see fb-ui-test-util.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-ui-test-util.h"

#include <glib/gstdio.h>
#include <locale.h>
#include <stdlib.h>
#include <time.h>

#include "fb-precision-config.h"

static double longest_dispatch, longest_dispatch_cpu;
static FbApplication *test_app;  /* fb_ui_test_init()'s, borrowed */

FbApplication *
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
  test_app = app;
  return app;
}

void
fb_ui_test_spin (void)
{
  for (guint i = 0; i < 5; i++)
    {
      while (gtk_events_pending ())
        gtk_main_iteration_do (FALSE);
      g_usleep (2000);
    }
}

void
fb_ui_test_reset_settings (FbApplication *app)
{
  GSettings *settings = fb_application_get_settings (app);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_assert_nonnull (settings);
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
}

FbWindow *
fb_ui_test_window_new (FbApplication *app)
{
  FbWindow *window;

  fb_ui_test_reset_settings (app);
  window = fb_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_widget_show (GTK_WIDGET (window));
  fb_ui_test_spin ();
  return window;
}

FbWindow *
fb_ui_test_setup_window (FbApplication *app)
{
  if (app == NULL)
    {
      g_test_skip ("no display: run under xvfb-run (meson does when it finds xvfb-run)");
      return NULL;
    }
  return fb_ui_test_window_new (app);
}

void
fb_ui_test_teardown_window (FbWindow *window)
{
  if (window != NULL)
    gtk_widget_destroy (GTK_WIDGET (window));
  fb_ui_test_spin ();
  fb_window_set_accuracy_defaults (FALSE, 0, NULL);
}

void
fb_ui_test_fixture_setup (FbUiTestFixture *f, gconstpointer data)
{
  f->window = fb_ui_test_setup_window (test_app);
  if (f->window != NULL)
    f->tmpdir = g_dir_make_tmp ("fb-ui-test-XXXXXX", NULL);
}

void
fb_ui_test_fixture_teardown (FbUiTestFixture *f, gconstpointer data)
{
  fb_ui_test_teardown_window (f->window);
  if (f->tmpdir != NULL)
    fb_ui_test_remove_tree (f->tmpdir);
  g_free (f->tmpdir);
}

FbSearchJob *
fb_ui_test_start_search (FbWindow *window, FbSearchMethod method, const char *start)
{
  FbSearchPanel *panel = fb_window_get_search_panel (window);
  FbSearchJob *job;

  fb_search_panel_set_method (panel, method);
  fb_search_panel_set_start (panel, start);
  g_assert_cmpstr (fb_search_panel_get_start (panel), ==, start);
  gtk_button_clicked (GTK_BUTTON (fb_search_panel_get_run_button (panel)));
  job = fb_window_get_search_job (window);
  g_assert_nonnull (job);
  g_assert_cmpint (fb_search_job_get_method (job), ==, method);
  return job;
}

FbSearchJob *
fb_ui_test_run_search (FbWindow *window, FbSearchMethod method, const char *start)
{
  FbSearchJob *job = fb_ui_test_start_search (window, method, start);

  fb_ui_test_wait_for_search (job, FB_UI_TEST_HANG_SECONDS);
  g_assert_no_error ((GError *) fb_search_job_get_error (job));
  return job;
}

static double
thread_cpu_ms (void)
{
  struct timespec t;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

void
fb_ui_test_wait_until (gboolean (*cond) (gpointer data), gpointer data, int seconds, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!cond (data))
    {
      while (gtk_events_pending ())
        {
          gint64 t0 = g_get_monotonic_time ();
          double c0 = thread_cpu_ms ();
          gtk_main_iteration_do (FALSE);
          longest_dispatch = MAX (longest_dispatch, (g_get_monotonic_time () - t0) / 1000.0);
          longest_dispatch_cpu = MAX (longest_dispatch_cpu, thread_cpu_ms () - c0);
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("still waiting for %s after %d s", what, seconds);
      g_usleep (1000);
    }
}

static gboolean
search_done (gpointer data)
{
  return !fb_search_job_is_running (data);
}

void
fb_ui_test_wait_for_search (FbSearchJob *job, int seconds)
{
  fb_ui_test_wait_until (search_done, job, seconds, "the search to finish");
  fb_ui_test_spin ();
}

void
fb_ui_test_longest_dispatch (double *wall_ms, double *cpu_ms)
{
  *wall_ms = longest_dispatch;
  *cpu_ms = longest_dispatch_cpu;
}

void
fb_ui_test_reset_dispatch (void)
{
  longest_dispatch = longest_dispatch_cpu = 0;
}

int
fb_ui_test_find_series (FbPointSet *points, const char *name)
{
  for (guint s = 0; s < fb_point_set_get_n_series (points); s++)
    if (g_strcmp0 (fb_point_set_get_series_name (points, s), name) == 0)
      return (int) s;
  return -1;
}

void
fb_ui_test_open_path (FbWindow *window, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  fb_window_open_file (window, file);
  fb_ui_test_spin ();
}

char *
fb_ui_test_network_path (const char *name)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  g_autofree char *file = g_strconcat (name, ".json", NULL);

  if (root != NULL)
    return g_build_filename (root, "data", "networks", file, NULL);
  return g_test_build_filename (G_TEST_DIST, "..", "..", "data", "networks", file, NULL);
}

void
fb_ui_test_remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

double
fb_ui_test_fake_accuracy (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  double bits = 0, n = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        bits += fb_precision_config_get_weight_bits (config, i);
        n++;
      }
  return 0.5 + 0.4 * bits / (8 * n);
}

typedef struct {
  FbAccuracyOracle parent;  /* first: fb_accuracy_oracle_unref() g_free()s the whole */
  guint            delay_ms;
} FakeOracle;

static gboolean
fake_evaluate (FbAccuracyOracle *self, FbPrecisionConfig *config, guint limit, GCancellable *cancellable,
               double *accuracy, GError **error)
{
  if (((FakeOracle *) self)->delay_ms > 0)
    g_usleep (((FakeOracle *) self)->delay_ms * 1000);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  *accuracy = fb_ui_test_fake_accuracy (config);
  return TRUE;
}

static const FbAccuracyOracleClass fake_oracle_class = { "fake", fake_evaluate, NULL, NULL };

FbAccuracyOracle *
fb_ui_test_oracle_new (FbNetwork *network, guint delay_ms)
{
  FakeOracle *oracle = g_new0 (FakeOracle, 1);

  fb_accuracy_oracle_init (&oracle->parent, &fake_oracle_class, network);
  oracle->delay_ms = delay_ms;
  return &oracle->parent;
}

void
fb_ui_test_set_oracle (FbWindow *window, guint delay_ms)
{
  g_autoptr(FbAccuracyOracle) oracle = fb_ui_test_oracle_new (fb_window_get_network (window), delay_ms);

  fb_window_set_accuracy_oracle (window, oracle);
}

/* ---- the gate ---------------------------------------------------------------- */

struct _FbUiTestGate {
  FbUiTestGateKind kind;
  GMutex           lock;
  GCond            cond;
  guint            permits;   /* held evaluations that may pass */
  gboolean         open;
  guint            waiting;
  guint            passed;
};

static void
gate_clear (gpointer data)
{
  FbUiTestGate *gate = data;

  g_mutex_clear (&gate->lock);
  g_cond_clear (&gate->cond);
}

FbUiTestGate *
fb_ui_test_gate_new (FbUiTestGateKind kind)
{
  FbUiTestGate *gate = g_atomic_rc_box_new0 (FbUiTestGate);

  gate->kind = kind;
  g_mutex_init (&gate->lock);
  g_cond_init (&gate->cond);
  return gate;
}

FbUiTestGate *
fb_ui_test_gate_ref (FbUiTestGate *gate)
{
  return g_atomic_rc_box_acquire (gate);
}

void
fb_ui_test_gate_unref (FbUiTestGate *gate)
{
  g_atomic_rc_box_release_full (gate, gate_clear);
}

guint
fb_ui_test_gate_get_waiting (FbUiTestGate *gate)
{
  guint n;

  g_mutex_lock (&gate->lock);
  n = gate->waiting;
  g_mutex_unlock (&gate->lock);
  return n;
}

guint
fb_ui_test_gate_get_passed (FbUiTestGate *gate)
{
  guint n;

  g_mutex_lock (&gate->lock);
  n = gate->passed;
  g_mutex_unlock (&gate->lock);
  return n;
}

void
fb_ui_test_gate_release (FbUiTestGate *gate, guint n)
{
  g_mutex_lock (&gate->lock);
  gate->permits += n;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

void
fb_ui_test_gate_open (FbUiTestGate *gate)
{
  g_mutex_lock (&gate->lock);
  gate->open = TRUE;
  g_cond_broadcast (&gate->cond);
  g_mutex_unlock (&gate->lock);
}

typedef struct {
  FbUiTestGate *gate;
  guint         n;
} GateWait;

static gboolean
gate_has_waiting (gpointer data)
{
  GateWait *w = data;

  return fb_ui_test_gate_get_waiting (w->gate) >= w->n;
}

void
fb_ui_test_gate_wait (FbUiTestGate *gate, guint n, const char *what)
{
  GateWait w = { gate, n };

  fb_ui_test_wait_until (gate_has_waiting, &w, FB_UI_TEST_WORK_SECONDS, what);
}

/* Blocks a held evaluation until a permit, the gate opening, or @cancellable.
 * Polls the cancellable (10 ms): cancelling never takes the gate's lock. */
static gboolean
gate_pass (FbUiTestGate *gate, GCancellable *cancellable, GError **error)
{
  gboolean passed = FALSE;

  g_mutex_lock (&gate->lock);
  gate->waiting++;
  while (!gate->open && gate->permits == 0 && !g_cancellable_is_cancelled (cancellable))
    g_cond_wait_until (&gate->cond, &gate->lock, g_get_monotonic_time () + 10 * G_TIME_SPAN_MILLISECOND);
  gate->waiting--;
  if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      if (!gate->open)
        gate->permits--;
      gate->passed++;
      passed = TRUE;
    }
  g_mutex_unlock (&gate->lock);
  return passed;
}

static gboolean
made_by_diff (FbPrecisionConfig *config)
{
  JsonObject *prov = fb_precision_config_get_provenance (config);

  return prov != NULL && g_strcmp0 (json_object_get_string_member_with_default (prov, "method", NULL), "diff") == 0;
}

typedef struct {
  FbAccuracyOracle  parent;  /* first: fb_accuracy_oracle_unref() g_free()s the whole */
  FbUiTestGate     *gate;
  FbAccuracyOracle *inner;   /* NULL: the stand-in rule */
} GatedOracle;

static gboolean
answer (GatedOracle *self, FbPrecisionConfig *config, guint limit, GCancellable *cancellable, double *accuracy,
        GError **error)
{
  if (self->inner != NULL)
    return fb_accuracy_oracle_evaluate (self->inner, config, limit, cancellable, accuracy, error);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  *accuracy = fb_ui_test_fake_accuracy (config);
  return TRUE;
}

static gboolean
gated_evaluate (FbAccuracyOracle *oracle, FbPrecisionConfig *config, guint limit, GCancellable *cancellable,
                double *accuracy, GError **error)
{
  GatedOracle *self = (GatedOracle *) oracle;

  if (self->gate->kind == FB_UI_TEST_GATE_DIFF && made_by_diff (config) &&
      !gate_pass (self->gate, cancellable, error))
    return FALSE;
  return answer (self, config, limit, cancellable, accuracy, error);
}

/* Batches: one config after the other, as fb_accuracy_oracle_evaluate_many()
 * does without an implementation, "i done" reported before the next is held.
 * Diff: the held configs first, then @inner's own batch. */
static gboolean
gated_evaluate_many (FbAccuracyOracle *oracle, FbPrecisionConfig **configs, guint n, guint limit,
                     void (*progress) (guint done, guint n, gpointer data), gpointer progress_data,
                     GCancellable *cancellable, double *accuracy, GError **error)
{
  GatedOracle *self = (GatedOracle *) oracle;

  if (self->gate->kind == FB_UI_TEST_GATE_DIFF)
    {
      for (guint i = 0; i < n; i++)
        if (made_by_diff (configs[i]) && !gate_pass (self->gate, cancellable, error))
          return FALSE;
      if (self->inner != NULL)
        return fb_accuracy_oracle_evaluate_many (self->inner, configs, n, limit, progress, progress_data,
                                                 cancellable, accuracy, error);
    }
  for (guint i = 0; i < n; i++)
    {
      if (progress != NULL)
        progress (i, n, progress_data);
      if (self->gate->kind == FB_UI_TEST_GATE_BATCHES && !gate_pass (self->gate, cancellable, error))
        return FALSE;
      if (!answer (self, configs[i], limit, cancellable, &accuracy[i], error))
        return FALSE;
    }
  if (progress != NULL)
    progress (n, n, progress_data);
  return TRUE;
}

static double
gated_cost_hint (FbAccuracyOracle *oracle, guint limit)
{
  GatedOracle *self = (GatedOracle *) oracle;

  return self->inner != NULL ? fb_accuracy_oracle_cost_hint (self->inner, limit) : 0;
}

static void
gated_finalize (FbAccuracyOracle *oracle)
{
  GatedOracle *self = (GatedOracle *) oracle;

  g_clear_pointer (&self->inner, fb_accuracy_oracle_unref);
  fb_ui_test_gate_unref (self->gate);
  g_free (self);
}

static const FbAccuracyOracleClass gated_oracle_class = {
  "gated", gated_evaluate, gated_cost_hint, gated_finalize, gated_evaluate_many
};

FbAccuracyOracle *
fb_ui_test_gated_oracle_new (FbUiTestGate *gate, FbNetwork *network, FbAccuracyOracle *inner)
{
  GatedOracle *oracle = g_new0 (GatedOracle, 1);

  fb_accuracy_oracle_init (&oracle->parent, &gated_oracle_class, network);
  oracle->gate = fb_ui_test_gate_ref (gate);
  if (inner != NULL)
    {
      oracle->inner = fb_accuracy_oracle_ref (inner);
      fb_accuracy_oracle_set_default_limit (&oracle->parent, fb_accuracy_oracle_get_default_limit (inner));
    }
  return &oracle->parent;
}

void
fb_ui_test_set_gated_oracle (FbWindow *window, FbUiTestGate *gate)
{
  g_autoptr(FbAccuracyOracle) oracle = fb_ui_test_gated_oracle_new (gate, fb_window_get_network (window), NULL);

  fb_window_set_accuracy_oracle (window, oracle);
}
