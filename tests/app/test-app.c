/* test-app.c — the GTK-free application layer: the method table (every method
 * by name, option checks with one-line errors), FbJob (progress, ETA, cancel,
 * error, result; asynchronous and synchronous), and the GUI's Pareto search
 * with sensitivities giving exactly freebits-cli search's front.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#include "fb-candidate-list.h"
#include "fb-job.h"
#include "fb-json.h"
#include "fb-latency-measure-job.h"
#include "fb-search-job.h"
#include "fb-search-method.h"

/* ---- the method table ------------------------------------------------------ */

static void
test_methods_by_name (void)
{
  const char *nicks[] = { "uniform", "free-bits", "pareto", "diff", "bops" };
  g_autofree char *list = fb_search_method_list_nicks ();

  g_assert_cmpuint (G_N_ELEMENTS (nicks), ==, FB_SEARCH_N_METHODS);
  for (guint i = 0; i < G_N_ELEMENTS (nicks); i++)
    {
      const FbSearchMethodInfo *info = fb_search_method_lookup (nicks[i]);
      FbSearchMethod m;

      g_assert_nonnull (info);
      g_assert_cmpstr (info->nick, ==, nicks[i]);
      g_assert_true (fb_search_method_get_info (info->method) == info);
      g_assert_true (fb_search_method_from_nick (nicks[i], &m));
      g_assert_cmpint (m, ==, info->method);
      g_assert_nonnull (info->run);
      g_assert_nonnull (strstr (list, nicks[i]));
    }
  /* The CLI's old spelling, and nothing else. */
  g_assert_true (fb_search_method_lookup ("freebits") == fb_search_method_get_info (FB_SEARCH_METHOD_FREE_BITS));
  g_assert_null (fb_search_method_lookup ("Pareto"));
  g_assert_null (fb_search_method_lookup (NULL));
}

static void
test_params_parse (void)
{
  FbSearchOptionTexts t = { .method = "diff", .cost = "bops", .lambdas = "0, 0.5,1", .lr = "0.01",
                            .batch = "64", .seed = "7", .steps = "20", .max_size = "40000" };
  FbSearchParams p;
  gboolean eps = TRUE;
  g_autoptr(GError) error = NULL;

  g_assert_true (fb_search_params_parse (&t, &p, &eps, &error));
  g_assert_no_error (error);
  g_assert_false (eps);
  g_assert_cmpint (p.method, ==, FB_SEARCH_METHOD_DIFF);
  g_assert_cmpint (p.diff_cost, ==, FB_DIFF_COST_BOPS);
  g_assert_cmpuint (p.n_lambdas, ==, 3);
  g_assert_cmpfloat (p.lambdas[1], ==, 0.5);
  g_assert_cmpfloat (p.diff_lr, ==, 0.01);
  g_assert_cmpuint (p.diff_batch, ==, 64);
  g_assert_cmpuint (p.diff_seed, ==, 7);
  g_assert_cmpuint (p.diff_steps, ==, 20);
  g_assert_cmpuint (p.constraints.max_size, ==, 40000);
  g_assert_cmpstr (fb_search_params_get_method_name (&p), ==, "diff-bops");

  /* Three objectives without --epsilon: 1 % ε, said so. */
  t = (FbSearchOptionTexts) { .method = "pareto", .objectives = "latency,size,bops" };
  g_assert_true (fb_search_params_parse (&t, &p, &eps, &error));
  g_assert_true (eps);
  g_assert_cmpfloat (p.epsilon, ==, 0.01);
  g_assert_true (fb_search_params_needs_table (&p));

  /* bops: BOPs against the proxy when there are sensitivities, else size. */
  t = (FbSearchOptionTexts) { .method = "bops" };
  g_assert_true (fb_search_params_parse (&t, &p, NULL, &error));
  g_assert_cmpint (fb_search_params_get_objectives (&p, TRUE), ==, FB_PARETO_BOPS | FB_PARETO_ACCURACY);
  g_assert_cmpint (fb_search_params_get_objectives (&p, FALSE), ==, FB_PARETO_BOPS | FB_PARETO_SIZE);
  g_assert_false (fb_search_params_needs_table (&p));
}

static void
test_params_errors (void)
{
  const struct {
    FbSearchOptionTexts texts;
    const char         *needle;
  } cases[] = {
    { { .method = NULL }, "--method" },
    { { .method = "simulated-annealing" }, "simulated-annealing" },
    { { .method = "uniform", .cost = "size" }, "--cost is not an option of --method uniform" },
    { { .method = "pareto", .lr = "0.1" }, "--lr" },
    { { .method = "bops", .objectives = "latency,size" }, "fixed" },
    { { .method = "diff", .tolerance = "0.1" }, "--tolerance" },
    { { .method = "free-bits", .start = TRUE, .starts = TRUE }, "exclude" },
    { { .method = "uniform", .max_size = "0" }, "--max-size" },
    { { .method = "uniform", .max_ram = "-5" }, "--max-ram" },
    { { .method = "uniform", .min_accuracy = "1.5" }, "--min-accuracy" },
    { { .method = "pareto", .epsilon = "2" }, "--epsilon" },
    { { .method = "pareto", .objectives = "latency,speed" }, "speed" },
    { { .method = "diff", .lambdas = "0,x" }, "--lambdas" },
    { { .method = "diff", .lambdas = "0,-1" }, "--lambdas" },
    { { .method = "diff", .cost = "flops" }, "--cost" },
    { { .method = "diff", .steps = "0" }, "--steps" },
    { { .method = "diff", .batch = "many" }, "--batch" },
    { { .method = "diff", .seed = "-1" }, "--seed" },
    { { .method = "uniform", .limit = "1e3" }, "--limit" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      FbSearchParams p;

      g_assert_false (fb_search_params_parse (&cases[i].texts, &p, NULL, &error));
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
      /* One line. */
      g_assert_null (strchr (error->message, '\n'));
    }
}

/* ---- FbJob ------------------------------------------------------------------ */

typedef enum { MODE_RESULT, MODE_ERROR, MODE_WAIT_FOR_CANCEL } TestMode;

#define FB_TYPE_TEST_JOB (fb_test_job_get_type ())
G_DECLARE_FINAL_TYPE (FbTestJob, fb_test_job, FB, TEST_JOB, FbJob)

struct _FbTestJob {
  FbJob     parent_instance;
  TestMode  mode;
  GThread  *ran_on;
  GMutex    lock;
  GCond     started_cond;
  gboolean  started;
};

G_DEFINE_FINAL_TYPE (FbTestJob, fb_test_job, FB_TYPE_JOB)

static gboolean
fb_test_job_run (FbJob *job, GCancellable *cancellable, GError **error)
{
  FbTestJob *self = FB_TEST_JOB (job);

  self->ran_on = g_thread_self ();
  fb_job_report_progress (0.25, "first stage", job);
  fb_job_report_progress (0.5, "second stage", job);
  g_mutex_lock (&self->lock);
  self->started = TRUE;
  g_cond_signal (&self->started_cond);
  g_mutex_unlock (&self->lock);
  switch (self->mode)
    {
    case MODE_ERROR:
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the data were bad");
      return FALSE;
    case MODE_WAIT_FOR_CANCEL:
      while (!g_cancellable_is_cancelled (cancellable))
        g_usleep (1000);
      return !g_cancellable_set_error_if_cancelled (cancellable, error);
    case MODE_RESULT:
    default:
      fb_job_report_progress (0.75, "third stage", job);
      fb_job_set_result (job, g_strdup ("forty-two"), g_free);
      return TRUE;
    }
}

static void
fb_test_job_finalize (GObject *object)
{
  FbTestJob *self = FB_TEST_JOB (object);

  g_mutex_clear (&self->lock);
  g_cond_clear (&self->started_cond);
  G_OBJECT_CLASS (fb_test_job_parent_class)->finalize (object);
}

static void
fb_test_job_class_init (FbTestJobClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fb_test_job_finalize;
  FB_JOB_CLASS (klass)->run = fb_test_job_run;
}

static void
fb_test_job_init (FbTestJob *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->started_cond);
}

typedef struct {
  GPtrArray *stages;     /* distinct stage labels seen, in order */
  double     last_fraction;
  gboolean   monotonic;
  guint      n_finished;
  GThread   *emitted_on;
  gboolean   callback_done;
  gboolean   finish_ok;
  GError    *finish_error;
} Seen;

static void
on_progress (FbJob *job, Seen *seen)
{
  const char *stage = fb_job_get_stage (job);

  seen->emitted_on = g_thread_self ();
  if (fb_job_get_fraction (job) < seen->last_fraction)
    seen->monotonic = FALSE;
  seen->last_fraction = fb_job_get_fraction (job);
  if (stage != NULL && (seen->stages->len == 0 ||
                        g_strcmp0 (g_ptr_array_index (seen->stages, seen->stages->len - 1), stage) != 0))
    g_ptr_array_add (seen->stages, g_strdup (stage));
}

static void
on_finished (FbJob *job, Seen *seen)
{
  seen->n_finished++;
  g_assert_false (fb_job_is_running (job));
}

static void
on_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Seen *seen = user_data;

  /* "finished" comes first. */
  g_assert_cmpuint (seen->n_finished, ==, 1);
  seen->finish_ok = fb_job_run_finish (FB_JOB (object), result, &seen->finish_error);
  seen->callback_done = TRUE;
}

static FbTestJob *
test_job_new (TestMode mode, Seen *seen)
{
  FbTestJob *job = g_object_new (FB_TYPE_TEST_JOB, NULL);

  job->mode = mode;
  seen->stages = g_ptr_array_new_with_free_func (g_free);
  seen->monotonic = TRUE;
  g_signal_connect (job, "progress", G_CALLBACK (on_progress), seen);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), seen);
  return job;
}

static void
seen_clear (Seen *seen)
{
  g_clear_pointer (&seen->stages, g_ptr_array_unref);
  g_clear_error (&seen->finish_error);
}

static void
run_async_and_wait (FbJob *job, Seen *seen)
{
  fb_job_run_async (job, NULL, on_ready, seen);
  g_assert_true (fb_job_is_running (job));
  while (!seen->callback_done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_job_result (void)
{
  Seen seen = { 0 };
  g_autoptr(FbTestJob) job = test_job_new (MODE_RESULT, &seen);

  g_assert_cmpfloat (fb_job_get_elapsed (FB_JOB (job)), ==, 0);
  run_async_and_wait (FB_JOB (job), &seen);
  g_assert_true (seen.finish_ok);
  g_assert_no_error (seen.finish_error);
  g_assert_null (fb_job_get_error (FB_JOB (job)));
  g_assert_cmpstr (fb_job_get_result (FB_JOB (job)), ==, "forty-two");
  /* Worked in a worker thread; told the main context. */
  g_assert_true (job->ran_on != g_thread_self ());
  g_assert_true (seen.emitted_on == g_thread_self ());
  g_assert_cmpuint (seen.n_finished, ==, 1);
  g_assert_true (seen.monotonic);
  g_assert_cmpfloat (fb_job_get_fraction (FB_JOB (job)), ==, 1.0);
  /* Batched: at least the last stage arrives; all that arrive are in order. */
  g_assert_cmpuint (seen.stages->len, >=, 1);
  g_assert_cmpstr (g_ptr_array_index (seen.stages, seen.stages->len - 1), ==, "third stage");
  g_assert_cmpfloat (fb_job_get_eta (FB_JOB (job)), ==, 0);
  g_assert_cmpfloat (fb_job_get_elapsed (FB_JOB (job)), >, 0);
  seen_clear (&seen);
}

static void
test_job_error (void)
{
  Seen seen = { 0 };
  g_autoptr(FbTestJob) job = test_job_new (MODE_ERROR, &seen);

  run_async_and_wait (FB_JOB (job), &seen);
  g_assert_false (seen.finish_ok);
  g_assert_error (seen.finish_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_error ((GError *) fb_job_get_error (FB_JOB (job)), G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (fb_job_get_result (FB_JOB (job)));
  /* The progress before the failure was drained; it does not jump to 1. */
  g_assert_cmpfloat (fb_job_get_fraction (FB_JOB (job)), ==, 0.5);
  g_assert_cmpstr (fb_job_get_stage (FB_JOB (job)), ==, "second stage");
  seen_clear (&seen);
}

static void
test_job_cancel (void)
{
  Seen seen = { 0 };
  g_autoptr(FbTestJob) job = test_job_new (MODE_WAIT_FOR_CANCEL, &seen);
  g_autoptr(GCancellable) parent = g_cancellable_new ();

  fb_job_run_async (FB_JOB (job), parent, on_ready, &seen);
  g_mutex_lock (&job->lock);
  while (!job->started)
    g_cond_wait (&job->started_cond, &job->lock);
  g_mutex_unlock (&job->lock);
  g_assert_true (fb_job_is_running (FB_JOB (job)));
  /* Cancelling the parent (the window's) cancels the job. */
  g_cancellable_cancel (parent);
  while (!seen.callback_done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (seen.finish_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error ((GError *) fb_job_get_error (FB_JOB (job)), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (seen.n_finished, ==, 1);
  seen_clear (&seen);

  /* fb_job_cancel() on a job of its own. */
  {
    Seen seen2 = { 0 };
    g_autoptr(FbTestJob) job2 = test_job_new (MODE_WAIT_FOR_CANCEL, &seen2);

    fb_job_start (FB_JOB (job2), NULL);
    fb_job_cancel (FB_JOB (job2));
    while (seen2.n_finished == 0)
      g_main_context_iteration (NULL, TRUE);
    g_assert_error ((GError *) fb_job_get_error (FB_JOB (job2)), G_IO_ERROR, G_IO_ERROR_CANCELLED);
    seen_clear (&seen2);
  }
}

static void
test_job_sync (void)
{
  Seen seen = { 0 };
  g_autoptr(FbTestJob) job = test_job_new (MODE_RESULT, &seen);
  g_autoptr(FbTestJob) failing = NULL;
  Seen seen2 = { 0 };
  g_autoptr(GError) error = NULL;

  g_assert_true (fb_job_run (FB_JOB (job), NULL, &error));
  g_assert_no_error (error);
  /* On this thread, every stage reported as it happened, no main loop needed. */
  g_assert_true (job->ran_on == g_thread_self ());
  g_assert_cmpuint (seen.stages->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (seen.stages, 0), ==, "first stage");
  g_assert_cmpstr (g_ptr_array_index (seen.stages, 2), ==, "third stage");
  g_assert_cmpuint (seen.n_finished, ==, 1);
  g_assert_cmpstr (fb_job_get_result (FB_JOB (job)), ==, "forty-two");

  failing = test_job_new (MODE_ERROR, &seen2);
  g_assert_false (fb_job_run (FB_JOB (failing), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpuint (seen2.n_finished, ==, 1);
  seen_clear (&seen);
  seen_clear (&seen2);
}

/* ---- the GUI's Pareto search with sensitivities = the CLI's ------------------ */

/* A deterministic accuracy: fewer bits cost more in earlier layers. */
static gboolean
fake_evaluate (FbAccuracyOracle *self, FbPrecisionConfig *config, guint limit, GCancellable *cancellable,
               double *accuracy, GError **error)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  double acc = 0.92;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      acc -= (8 - (double) fb_precision_config_get_weight_bits (config, i)) * 0.0007 * (1 + i % 3);
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      acc -= (8 - (double) fb_precision_config_get_tensor_bits (config, t)) * 0.0011 * (1 + t % 2);
  *accuracy = acc;
  return TRUE;
}

static const FbAccuracyOracleClass fake_oracle_class = { "fake", fake_evaluate, NULL, NULL };

static char *
source_path (const char *first, ...)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");
  g_autofree char *rel = NULL;
  va_list args;

  va_start (args, first);
  rel = g_build_filename_valist (first, &args);
  va_end (args);
  return g_build_filename (root != NULL ? root : ".", rel, NULL);
}

static void
on_candidates (FbSearchJob *job, GPtrArray *batch, GPtrArray *all)
{
  for (guint i = 0; i < batch->len; i++)
    g_ptr_array_add (all, fb_candidate_ref (g_ptr_array_index (batch, i)));
}

static void
test_pareto_gui_equals_cli (void)
{
  g_autofree char *npath = source_path ("data", "networks", "fmnist-mbv1.json", NULL);
  g_autofree char *tpath = source_path ("data", "latency", "fmnist-mbv1-gap8.json", NULL);
  g_autofree char *dir = g_dir_make_tmp ("fb-test-app-XXXXXX", NULL);
  g_autofree char *spath = g_build_filename (dir, "sens.json", NULL);
  g_autofree char *cmd = NULL, *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load (npath, &error);
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(FbAccuracyOracle) oracle = g_new0 (FbAccuracyOracle, 1);
  g_autoptr(FbSearchJob) job = NULL;
  g_autoptr(GPtrArray) streamed = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(FbCandidateList) list = NULL;
  g_autoptr(JsonNode) root = NULL;
  Seen seen = { 0 };
  FbSearchParams params;
  JsonArray *cands;
  int status = -1;

  g_assert_no_error (error);
  table = fb_latency_table_load (tpath, &error);
  g_assert_no_error (error);
  fb_accuracy_oracle_init (oracle, &fake_oracle_class, net);
  fb_accuracy_oracle_set_default_limit (oracle, 50);

  /* The GUI: a search job with the window's oracle and no cached
   * sensitivities; it measures them, as the CLI does. */
  fb_search_params_init (&params, FB_SEARCH_METHOD_PARETO);
  params.objectives = FB_PARETO_SIZE | FB_PARETO_ACCURACY;
  job = fb_search_job_new (net, table, NULL, &params);
  fb_search_job_set_oracle (job, oracle);
  g_signal_connect (job, "candidates", G_CALLBACK (on_candidates), streamed);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), &seen);
  fb_search_job_start (job, NULL);
  while (seen.n_finished == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error ((GError *) fb_search_job_get_error (job));
  g_assert_nonnull (fb_search_job_get_run (job)->measured_sensitivity);
  g_assert_cmpuint (streamed->len, >, 2);

  /* Its results carry the sensitivities; the CLI reads them from the file. */
  list = fb_candidate_list_new (net);
  for (guint i = 0; i < streamed->len; i++)
    fb_candidate_list_add (list, g_ptr_array_index (streamed, i));
  g_assert_true (fb_candidate_list_save (list, spath, &error));
  g_assert_no_error (error);
  cmd = g_strdup_printf ("%s search %s --method pareto --objectives size,accuracy --sensitivity %s "
                         "--latency %s --no-measure --json", g_getenv ("FB_CLI"), npath, spath, tpath);
  g_assert_true (g_spawn_command_line_sync (cmd, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s", err);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  root = fb_json_load_data (out, -1, "stdout", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "objectives"), ==,
                   "size,accuracy");
  cands = json_object_get_array_member (json_node_get_object (root), "candidates");

  /* The same front: the same configs, in the same order, the same proxy. */
  g_assert_cmpuint (json_array_get_length (cands), ==, streamed->len);
  {
    g_autoptr(FbCandidateList) cli = fb_candidate_list_new_from_json (net, root, "stdout", &error);
    g_assert_no_error (error);
    for (guint i = 0; i < streamed->len; i++)
      {
        FbCandidate *g = g_ptr_array_index (streamed, i);
        FbCandidate *c = fb_candidate_list_get (cli, i);

        g_assert_true (fb_precision_config_equal (fb_candidate_get_config (g), fb_candidate_get_config (c)));
        g_assert_cmpfloat (fb_candidate_get_metrics (g)->latency, ==, fb_candidate_get_metrics (c)->latency);
        g_assert_cmpfloat (json_object_get_double_member (fb_candidate_get_provenance (g), "accuracy_proxy"), ==,
                           json_object_get_double_member (fb_candidate_get_provenance (c), "accuracy_proxy"));
      }
  }
  g_unlink (spath);
  g_rmdir (dir);
  seen_clear (&seen);
}

/* ---- the latency-measure job ------------------------------------------------ */

static const char tiny_net[] =
  "{ \"format\": \"freebits-network/1\", \"name\": \"tiny\","
  "  \"input\": { \"name\": \"input\", \"shape\": [4, 4, 4] },"
  "  \"layers\": ["
  "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\", \"kernel\": 3, \"pad\": 1, \"cout\": 8 },"
  "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"c1\"], \"output\": \"pool\" },"
  "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 4 } ] }";

/* Host timings in a worker: every (layer, key) entry, progress per entry,
 * the table as the result; and a cancel stops it. */
static void
test_latency_measure_job (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data (tiny_net, -1, "tiny", &error);
  g_autoptr(FbLatencyMeasureJob) job = NULL;
  g_autoptr(FbLatencyMeasureJob) cancelled = NULL;
  FbLatencyMeasureOptions options;
  FbLatencyTable *table;
  Seen seen = { 0 }, seen2 = { 0 };
  guint expected = 0;

  g_assert_no_error (error);
  fb_latency_measure_options_init (&options, "host");
  options.repeats = 1;
  options.min_sample = 0.0002;
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      g_auto(GStrv) keys = fb_latency_admissible_keys (net, i);
      expected += g_strv_length (keys);
    }

  job = fb_latency_measure_job_new (net, &options);
  seen.stages = g_ptr_array_new_with_free_func (g_free);
  seen.monotonic = TRUE;
  g_signal_connect (job, "progress", G_CALLBACK (on_progress), &seen);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), &seen);
  fb_job_start (FB_JOB (job), NULL);
  while (seen.n_finished == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error ((GError *) fb_job_get_error (FB_JOB (job)));
  g_assert_true (seen.monotonic);
  table = fb_latency_measure_job_get_table (job);
  g_assert_nonnull (table);
  g_assert_cmpstr (fb_latency_table_get_target (table), ==, "host");
  {
    g_autoptr(GPtrArray) layers = fb_latency_table_get_layers (table);
    guint n = 0;
    for (guint i = 0; i < layers->len; i++)
      {
        g_auto(GStrv) keys = fb_latency_table_get_keys (table, g_ptr_array_index (layers, i));
        n += g_strv_length (keys);
      }
    g_assert_cmpuint (n, ==, expected);
  }
  /* The last stage drained names the last entry. */
  {
    g_autofree char *last = g_strdup_printf ("[%u/%u] ", expected, expected);
    g_assert_true (g_str_has_prefix (g_ptr_array_index (seen.stages, seen.stages->len - 1), last));
  }

  cancelled = fb_latency_measure_job_new (net, &options);
  g_signal_connect (cancelled, "finished", G_CALLBACK (on_finished), &seen2);
  fb_job_start (FB_JOB (cancelled), NULL);
  fb_job_cancel (FB_JOB (cancelled));
  while (seen2.n_finished == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error ((GError *) fb_job_get_error (FB_JOB (cancelled)), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (fb_latency_measure_job_get_table (cancelled));
  seen_clear (&seen);
}

/* ---- freebits-cli search: input errors exit 2 with one line ------------------ */

static int
run_search (const char *args, char **err)
{
  g_autofree char *cmd = g_strdup_printf ("%s search %s", g_getenv ("FB_CLI"), args);
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_command_line_sync (cmd, NULL, err, &status, &error));
  g_assert_no_error (error);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
test_cli_input_errors (void)
{
  g_autofree char *npath = source_path ("data", "networks", "fmnist-mbv1.json", NULL);
  g_autofree char *tpath = source_path ("data", "latency", "fmnist-mbv1-gap8.json", NULL);
  g_autofree char *dir = g_dir_make_tmp ("fb-test-app-XXXXXX", NULL);
  g_autofree char *gap = g_build_filename (dir, "gap.json", NULL);
  g_autofree char *bad_weights = g_build_filename (dir, "bad.fbw", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fb_json_load_file (tpath, &error);
  const char *methods[] = { "uniform", "pareto" };

  g_assert_no_error (error);
  /* A table that lacks layer pw3 altogether. */
  json_object_remove_member (json_object_get_object_member (json_node_get_object (root), "layers"), "pw3");
  g_assert_true (fb_json_save_file (root, gap, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      g_autofree char *args = g_strdup_printf ("%s --method %s --latency %s --no-measure", npath, methods[i], gap);
      g_autofree char *err = NULL;

      /* Rejected like metrics and uniform reject it, not "0 candidates". */
      g_assert_cmpint (run_search (args, &err), ==, 2);
      g_auto(GStrv) lines = g_strsplit (err, "\n", -1);
      guint n = 0;

      /* One line names the table's gap (progress lines may come before). */
      for (guint k = 0; lines[k] != NULL; k++)
        if (strstr (lines[k], "\"pw3\"") != NULL)
          {
            n++;
            g_assert_true (g_str_has_prefix (lines[k], "freebits-cli: latency table"));
          }
      g_assert_cmpuint (n, ==, 1);
    }
  /* Bad --weights: exit 2, as eval and export. */
  g_assert_true (g_file_set_contents (bad_weights, "not weights", -1, &error));
  {
    g_autofree char *args = g_strdup_printf ("%s --method uniform --latency %s --weights %s", npath, tpath,
                                             bad_weights);
    g_autofree char *err = NULL;

    g_assert_cmpint (run_search (args, &err), ==, 2);
    g_assert_nonnull (strstr (err, bad_weights));
  }
  g_unlink (gap);
  g_unlink (bad_weights);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/methods/by-name", test_methods_by_name);
  g_test_add_func ("/app/methods/parse", test_params_parse);
  g_test_add_func ("/app/methods/errors", test_params_errors);
  g_test_add_func ("/app/job/result", test_job_result);
  g_test_add_func ("/app/job/error", test_job_error);
  g_test_add_func ("/app/job/cancel", test_job_cancel);
  g_test_add_func ("/app/job/sync", test_job_sync);
  g_test_add_func ("/app/job/latency-measure", test_latency_measure_job);
  g_test_add_func ("/app/pareto/gui-equals-cli", test_pareto_gui_equals_cli);
  g_test_add_func ("/app/cli/input-errors", test_cli_input_errors);
  return g_test_run ();
}
