/* fb-cli-search.c — freebits-cli search NETWORK --method uniform|diff|free-bits|pareto|bops ...
 *
 * Progress goes to stderr, the result table (or --json) to stdout, the candidates
 * file to -o. Without an accuracy oracle every candidate's accuracy is null and
 * the accuracy options are refused (fb_cli_create_oracle() below).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "fb-cli.h"
#include "fb-dataset.h"
#include "fb-diff-search.h"
#include "fb-error.h"
#include "fb-free-bits.h"
#include "fb-json.h"
#include "fb-nn-oracle.h"
#include "fb-pareto.h"
#include "fb-search-measure.h"
#include "fb-search-uniform.h"
#include "fb-sensitivity.h"

/* ======================================================================
 * The one place freebits-cli search and compare get an accuracy oracle: the
 * nn engine on the trained weights. Returns NULL (no error) when @network has
 * no weights: every accuracy option then fails with "no accuracy engine for
 * this network".
 * NULL + @error set = the engine exists but could not start: a search that asked
 * for accuracy fails (exit 1), any other search warns and runs without it.
 * @weights_path is --weights (NULL: the network's own weights file).
 * ====================================================================== */
FbAccuracyOracle *
fb_cli_create_oracle (FbNetwork *network, const char *weights_path, GError **error)
{
  const char *path = weights_path != NULL ? weights_path : fb_network_get_weights_path (network);

  /* No trained weights: this network has no accuracy engine. */
  if (path == NULL)
    return NULL;

  g_autoptr(FbWeights) weights = fb_weights_load (path, network, error);
  if (weights == NULL)
    return NULL;
  g_autoptr(FbDataset) test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, error);
  if (test == NULL)
    return NULL;
  /* Training images calibrate float-only weights and recalibrate a supernet's
   * batch norm per config. */
  g_autoptr(FbDataset) train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, error);
  if (train == NULL)
    return NULL;
  return fb_nn_oracle_new (network, weights, path, test, train, NULL, error);
}

typedef struct {
  FbCandidateList *list;
  GPtrArray       *found;
  gboolean         tty;
  int              last_decile;
  const char      *label;
} Job;

static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  Job *job = user_data;
  int decile = (int) (fraction * 10);

  /* A terminal gets a live line; a log gets one line per 10 %. */
  if (job->tty)
    g_printerr ("\r\033[K%s: %3.0f%% %s", job->label, 100 * fraction, message);
  else if (decile > job->last_decile)
    {
      job->last_decile = decile;
      g_printerr ("%s: %3.0f%% %s\n", job->label, 100 * fraction, message);
    }
}

static void
on_candidate (FbCandidate *candidate, gpointer user_data)
{
  Job *job = user_data;
  g_ptr_array_add (job->found, fb_candidate_ref (candidate));
}

static void
progress_done (Job *job)
{
  if (job->tty)
    g_printerr ("\r\033[K");
  job->last_decile = -1;
}

/* "w8a8" for a uniform config, else bit counts: "w 8:10 4:3 · a 8:9 4:4". */
static char *
config_summary (FbCandidate *cand)
{
  FbPrecisionConfig *c = fb_candidate_get_config (cand);
  FbNetwork *net = fb_precision_config_get_network (c);
  guint wn[9] = { 0 }, an[9] = { 0 };
  GString *s = g_string_new (NULL);
  guint nw = 0, na = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        wn[fb_precision_config_get_weight_bits (c, i)]++;
        nw++;
      }
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      {
        an[fb_precision_config_get_tensor_bits (c, t)]++;
        na++;
      }
  for (guint b = 2; b <= 8; b *= 2)
    for (guint a = 2; a <= 8; a *= 2)
      if (wn[b] == nw && an[a] == na)
        {
          g_string_printf (s, "w%ua%u", b, a);
          return g_string_free (s, FALSE);
        }
  g_string_append (s, "w");
  for (guint b = 8; b >= 2; b /= 2)
    if (wn[b])
      g_string_append_printf (s, " %u:%u", b, wn[b]);
  g_string_append (s, " · a");
  for (guint b = 8; b >= 2; b /= 2)
    if (an[b])
      g_string_append_printf (s, " %u:%u", b, an[b]);
  return g_string_free (s, FALSE);
}

static void
print_table (FbCandidateList *list, FbLatencyTable *table)
{
  const char *unit = table ? fb_latency_unit_to_string (fb_latency_table_get_unit (table)) : "latency";

  g_print ("%3s  %-10s %-28s %12s %16s %14s %12s %9s\n", "#", "method", "config", "size B", "BOPs", unit, "RAM B",
           "accuracy");
  for (guint i = 0; i < fb_candidate_list_get_length (list); i++)
    {
      FbCandidate *c = fb_candidate_list_get (list, i);
      const FbMetrics *m = fb_candidate_get_metrics (c);
      g_autofree char *summary = config_summary (c);
      g_autofree char *size = fb_cli_group (m->size_bytes);
      g_autofree char *bops = fb_cli_group (m->bops);
      g_autofree char *ram = fb_cli_group (m->peak_activation_bytes);
      g_autofree char *lat = isnan (m->latency) ? g_strdup ("-") : g_strdup_printf ("%.10g", m->latency);
      double a = fb_candidate_get_accuracy (c);
      g_autofree char *acc = isnan (a) ? g_strdup ("-") : g_strdup_printf ("%.2f%%", 100 * a);

      g_print ("%3u  %-10s %-28s %12s %16s %14s %12s %9s\n", i, fb_candidate_get_method (c), summary,
               size, bops, lat, ram, acc);
    }
  if (fb_candidate_list_get_length (list) == 0)
    g_print ("(no candidate fits the budgets)\n");
}

static gboolean
parse_size (const char *text, const char *option, guint64 *out, GError **error)
{
  char *end = NULL;
  guint64 v;

  if (text == NULL)
    return TRUE;
  v = g_ascii_strtoull (text, &end, 10);
  if (end == text || *end != '\0' || v == 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: expected a positive number of bytes, got \"%s\"", option, text);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
parse_double (const char *text, const char *option, double min, double max, double *out, GError **error)
{
  char *end = NULL;
  double v;

  if (text == NULL)
    return TRUE;
  v = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !(v >= min && v <= max))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "%s: expected a number in [%g, %g], got \"%s\"", option, min, max, text);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* ---- --method diff: the differentiable search on the supernet ---------- */

typedef struct {
  Job            *job;
  FbLatencyTable *table;
  const char     *method;
  const FbSearchConstraints *cons;
  GError        **error;
  gboolean        failed;
  gboolean        quiet;
} DiffJob;

static void
on_diff_result (FbPrecisionConfig *config, const FbDiffSearchResult *r, gpointer user_data)
{
  DiffJob *dj = user_data;
  JsonObject *prov = fb_precision_config_get_provenance (config);
  g_autoptr(FbCandidate) cand = NULL;

  if (dj->failed)
    return;
  cand = fb_candidate_new_evaluated (config, dj->table, NAN, dj->method, prov, dj->error);
  if (cand == NULL)
    {
      dj->failed = TRUE;
      return;
    }
  progress_done (dj->job);
  if (!dj->quiet)
    g_printerr ("λ %-6g E[cost] %.3f → argmax %.3f of all-8, mixed loss %.3f, %.1f s\n", r->lambda,
                r->expected_cost, r->cost, r->loss, r->seconds);
  /* The sweep cannot aim at a budget; results outside one are dropped (the
   * minimum accuracy is applied when they are measured). */
  if (!fb_search_constraints_check (dj->cons, fb_candidate_get_metrics (cand), NAN))
    {
      g_printerr ("λ %g: result outside the latency/size/RAM budget, dropped\n", r->lambda);
      return;
    }
  on_candidate (cand, dj->job);
}

static void
on_diff_progress (double fraction, const char *message, gpointer user_data)
{
  DiffJob *dj = user_data;
  on_progress (fraction, message, dj->job);
}

/* "0,0.5,1" → doubles. */
static gboolean
parse_lambdas (const char *text, GArray *out, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *end = NULL;
      double v = g_ascii_strtod (g_strstrip (parts[i]), &end);
      if (end == parts[i] || *end != '\0' || !(v >= 0.0) || !isfinite (v))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--lambdas: expected comma-separated numbers >= 0, got \"%s\"", parts[i]);
          return FALSE;
        }
      g_array_append_val (out, v);
    }
  if (out->len == 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--lambdas: empty list");
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_diff (FbNetwork *net, const char *weights_path, FbLatencyTable *table, const FbDiffSearchOptions *dopt,
          GArray *lambdas, const char *method, const FbSearchConstraints *cons, gboolean quiet, Job *job,
          GError **error)
{
  const char *path = weights_path != NULL ? weights_path : fb_network_get_weights_path (net);
  g_autoptr(FbWeights) weights = NULL;
  g_autoptr(FbDataset) train = NULL;
  DiffJob dj = { job, table, method, cons, error, FALSE, quiet };

  if (path == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: --method diff needs trained supernet weights (the network names none; use --weights)",
                   fb_network_get_name (net));
      return FALSE;
    }
  weights = fb_weights_load (path, net, error);
  if (weights == NULL)
    return FALSE;
  train = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TRAIN, NULL, error);
  if (train == NULL)
    return FALSE;
  if (!fb_diff_search_sweep (net, weights, path, train, dopt, (const double *) lambdas->data, lambdas->len,
                             on_diff_result, on_diff_progress, &dj, NULL, error))
    return FALSE;
  return !dj.failed;
}

int
fb_cli_search (int argc, char **argv)
{
  gboolean json = FALSE, full = FALSE, no_measure = FALSE;
  gint limit = -1;
  g_autofree char *method = NULL, *latency_path = NULL, *config_spec = NULL, *objectives_text = NULL;
  g_autofree char *max_latency = NULL, *max_size = NULL, *max_ram = NULL, *min_accuracy = NULL;
  g_autofree char *tolerance_text = NULL, *epsilon_text = NULL, *output = NULL, *max_drop_text = NULL;
  g_autofree char *min_gain_text = NULL, *sensitivity_path = NULL, *weights = NULL;
  g_autofree char *cost_text = NULL, *lambdas_text = NULL, *starts_path = NULL, *lr_text = NULL;
  gint steps = 300, limit_train = 0;
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method,
      "uniform, diff (differentiable, on the supernet), free-bits, pareto or bops", "METHOD" },
    { "latency", 'l', 0, G_OPTION_ARG_FILENAME, &latency_path, "Latency table (freebits-latency/1)", "TABLE" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_spec,
      "Start config (file or wXaY); its pins hold in every result. free-bits without it starts from every uniform config", "START" },
    { "starts", 0, 0, G_OPTION_ARG_FILENAME, &starts_path,
      "free-bits: start from every config of a candidates file (e.g. a diff sweep's -o)", "FILE" },
    { "cost", 0, 0, G_OPTION_ARG_STRING, &cost_text,
      "diff: the regularized cost, size (weights' Flash bytes, default) or bops", "COST" },
    { "lambdas", 0, 0, G_OPTION_ARG_STRING, &lambdas_text,
      "diff: λ values of the sweep (default 0,0.02,0.05,0.1,0.2,0.5,1)", "LIST" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "diff: architecture steps per λ (batches of 128; default 300)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_STRING, &lr_text, "diff: Adam learning rate of the architecture logits (default 0.05)", "R" },
    { "limit-train", 0, 0, G_OPTION_ARG_INT, &limit_train, "diff: use the first N training images (default all)", "N" },
    { "objectives", 0, 0, G_OPTION_ARG_STRING, &objectives_text,
      "pareto: latency,size (default); bops and accuracy (the sensitivity proxy) optional", "LIST" },
    { "epsilon", 0, 0, G_OPTION_ARG_STRING, &epsilon_text,
      "pareto with 3+ objectives: ε-dominance factor (default 0.01; 0 = exact)", "E" },
    { "max-latency", 0, 0, G_OPTION_ARG_STRING, &max_latency, "Latency budget (table units)", "X" },
    { "max-size", 0, 0, G_OPTION_ARG_STRING, &max_size, "Weight memory (Flash) budget", "BYTES" },
    { "max-ram", 0, 0, G_OPTION_ARG_STRING, &max_ram, "Peak activation memory (RAM) budget", "BYTES" },
    /* The spellings of issue 7. */
    { "budget-latency", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &max_latency, NULL, NULL },
    { "budget-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &max_size, NULL, NULL },
    { "budget-ram", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &max_ram, NULL, NULL },
    { "min-accuracy", 0, 0, G_OPTION_ARG_STRING, &min_accuracy, "Minimum measured accuracy (fraction; needs the accuracy engine)", "A" },
    { "tolerance", 0, 0, G_OPTION_ARG_STRING, &tolerance_text,
      "free-bits: accept a raise costing up to this fraction of the affected layers' latency (default 0)", "F" },
    { "max-accuracy-drop", 0, 0, G_OPTION_ARG_STRING, &max_drop_text,
      "free-bits: run the lowering step, accepting moves while accuracy stays within this fraction of the "
      "reference (e.g. 0.005 = 0.5 pt; needs the accuracy engine)", "F" },
    { "min-gain", 0, 0, G_OPTION_ARG_STRING, &min_gain_text,
      "free-bits lowering: minimum latency gain, fraction of the affected layers (default 0.01)", "F" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Test images per accuracy evaluation (default: the engine's)", "N" },
    { "full", 0, 0, G_OPTION_ARG_NONE, &full, "Measure the results on the full test set", NULL },
    { "no-measure", 0, 0, G_OPTION_ARG_NONE, &no_measure, "Do not measure the results' accuracy", NULL },
    { "sensitivity", 0, 0, G_OPTION_ARG_FILENAME, &sensitivity_path,
      "pareto with accuracy: reuse the sensitivities cached in a candidates file", "FILE" },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME, &weights, "Trained weights for the accuracy engine", "FILE" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed (diff: its batches; the other methods are deterministic)", "N" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the candidates (freebits-candidates/1)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of a table", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbLatencyTable) table = NULL;
  g_autoptr(FbPrecisionConfig) start = NULL;
  g_autoptr(FbCandidateList) list = NULL;
  g_autoptr(FbAccuracyOracle) oracle = NULL;
  g_autoptr(FbSensitivity) sensitivity = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GPtrArray) starts = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  g_autoptr(JsonBuilder) changes_json = json_builder_new ();
  FbParetoObjectives objectives = FB_PARETO_LATENCY | FB_PARETO_SIZE;
  FbSearchConstraints cons;
  FbFreeBitsOptions fbo;
  double epsilon = 0;
  FbParetoStats pstats = { 0 };
  gint64 t0;
  Job job = { NULL, NULL, isatty (2), -1, "search" };
  gboolean ok = TRUE, is_pareto, is_bops, is_diff, wants_accuracy;
  g_autoptr(GArray) lambdas = g_array_new (FALSE, FALSE, sizeof (double));
  FbDiffSearchOptions dopt;
  const char *diff_method = "diff";
  guint measure_limit = 0;

  if (!fb_cli_parse_one (context, entries, "NETWORK", &argc, &argv,
    "Search per-layer bit-widths: uniform baselines, the differentiable search (EdMIPS on the\n"
    "supernet, size- or BOPs-regularized λ sweep), the Free Bits heuristic (raise free bits;\n"
    "with the accuracy engine also lower them where the latency gain is real), the exact\n"
    "Pareto front of additive objectives, or the BOPs-targeted baseline (exact BOPs-size front)."))
    return FB_CLI_EXIT_INPUT;
  if (method == NULL)
    return fb_cli_usage (context, "--method is required (uniform, diff, free-bits, pareto, bops)");
  if (g_str_equal (method, "freebits"))
    {
      g_free (method);
      method = g_strdup ("free-bits");
    }
  if (!g_str_equal (method, "uniform") && !g_str_equal (method, "free-bits") && !g_str_equal (method, "pareto") &&
      !g_str_equal (method, "bops") && !g_str_equal (method, "diff"))
    return fb_cli_usage (context, "--method must be uniform, diff, free-bits, pareto or bops");
  is_pareto = g_str_equal (method, "pareto");
  is_bops = g_str_equal (method, "bops");
  is_diff = g_str_equal (method, "diff");

  fb_diff_search_options_init (&dopt);
  if ((cost_text || lambdas_text || lr_text || steps != 300 || limit_train) && !is_diff)
    return fb_cli_usage (context, "--cost, --lambdas, --steps, --lr and --limit-train are for --method diff");
  if (starts_path && !g_str_equal (method, "free-bits"))
    return fb_cli_usage (context, "--starts is for --method free-bits");
  if (starts_path && config_spec)
    return fb_cli_usage (context, "--starts and --config exclude each other");
  if (cost_text && !fb_diff_cost_from_string (cost_text, &dopt.cost))
    return fb_cli_usage (context, "--cost must be size or bops");
  if (steps <= 0 || limit_train < 0)
    return fb_cli_usage (context, "--steps must be > 0 and --limit-train >= 0");
  if (!parse_double (lr_text, "--lr", 1e-6, 10, &dopt.lr, &error) ||
      !parse_lambdas (lambdas_text ? lambdas_text : "0,0.02,0.05,0.1,0.2,0.5,1", lambdas, &error))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  dopt.steps = (guint) steps;
  dopt.limit_train = (guint) limit_train;
  dopt.seed = (guint32) seed;
  if (dopt.cost == FB_DIFF_COST_BOPS)
    diff_method = "diff-bops";

  fb_search_constraints_init (&cons);
  fb_free_bits_options_init (&fbo);
  if (!parse_double (max_latency, "--max-latency", 0, INFINITY, &cons.max_latency, &error) ||
      !parse_size (max_size, "--max-size", &cons.max_size, &error) ||
      !parse_size (max_ram, "--max-ram", &cons.max_ram, &error) ||
      !parse_double (min_accuracy, "--min-accuracy", 0, 1, &cons.min_accuracy, &error) ||
      !parse_double (tolerance_text, "--tolerance", 0, 10, &fbo.tolerance, &error) ||
      !parse_double (max_drop_text, "--max-accuracy-drop", 0, 1, &fbo.max_accuracy_drop, &error) ||
      !parse_double (min_gain_text, "--min-gain", 0, 1, &fbo.min_gain, &error) ||
      !parse_double (epsilon_text, "--epsilon", 0, 1, &epsilon, &error) ||
      (objectives_text && !fb_pareto_objectives_parse (objectives_text, &objectives, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (limit < -1)
    return fb_cli_usage (context, "--limit must be >= 0");
  if (is_bops && objectives_text)
    return fb_cli_usage (context, "--method bops has fixed objectives; use --method pareto for others");
  if (objectives_text && !is_pareto)
    return fb_cli_usage (context, "--objectives is for --method pareto");
  /* The exact 3-objective front of a 60-layer net takes minutes (fronts of
   * tens of thousands of points); 1 % ε keeps it to seconds. */
  if (epsilon_text == NULL && is_pareto && fb_pareto_objectives_count (objectives) >= 3)
    {
      epsilon = 0.01;
      g_printerr ("freebits-cli: %u objectives: ε-dominance with ε = 0.01 per layer (--epsilon 0 for the exact front)\n",
                  fb_pareto_objectives_count (objectives));
    }
  if (max_latency && isinf (cons.max_latency))
    cons.max_latency = INFINITY;

  net = fb_network_load (argv[1], &error);
  if (net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (latency_path)
    {
      table = fb_cli_load_table (latency_path, net, &error);
      if (table == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }
  if (config_spec)
    {
      start = fb_precision_config_new_from_spec (net, config_spec, &error);
      if (start == NULL)
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }
  if (table == NULL && (g_str_equal (method, "free-bits") || max_latency ||
                        (is_pareto && (objectives & FB_PARETO_LATENCY))))
    return fb_cli_usage (context, "this search needs a latency table (--latency TABLE)");

  /* Accuracy: everything that needs measured accuracy needs the engine. */
  wants_accuracy = min_accuracy || max_drop_text || min_gain_text || limit >= 0 || full ||
                   ((objectives & FB_PARETO_ACCURACY) && sensitivity_path == NULL);
  oracle = fb_cli_create_oracle (net, weights, &error);
  if (oracle == NULL && error)
    {
      /* Asked for accuracy: fail. Otherwise the search stands without it. */
      if (wants_accuracy)
        return fb_cli_error (error, FB_CLI_EXIT_FAILED);
      g_printerr ("freebits-cli: warning: accuracy engine unavailable (%s); results are not measured\n",
                  error->message);
      g_clear_error (&error);
    }

  /* BOPs-targeted baseline: BOPs against the accuracy proxy when sensitivities
   * exist (engine or --sensitivity), else against size, which is degenerate. */
  if (is_bops)
    {
      if (oracle || sensitivity_path)
        objectives = FB_PARETO_BOPS | FB_PARETO_ACCURACY;
      else
        {
          objectives = FB_PARETO_BOPS | FB_PARETO_SIZE;
          g_printerr ("freebits-cli: no accuracy engine: the BOPs-targeted front is (BOPs, size), where the lowest "
                      "admissible bits minimize both (one point); with accuracy it is (BOPs, accuracy proxy)\n");
        }
    }

  if (oracle == NULL && wants_accuracy)
    {
      g_printerr ("freebits-cli: no accuracy engine for this network (%s): --min-accuracy, --max-accuracy-drop, "
                  "--min-gain, --limit, --full and the accuracy objective need one%s\n", fb_network_get_name (net),
                  (objectives & FB_PARETO_ACCURACY) ? " (or --sensitivity FILE with cached sensitivities)" : "");
      return FB_CLI_EXIT_INPUT;
    }
  if (oracle)
    {
      measure_limit = full ? 0 : limit >= 0 ? (guint) limit : fb_accuracy_oracle_get_default_limit (oracle);
      if (max_drop_text)
        {
          fbo.oracle = oracle;
          fbo.limit = limit >= 0 ? (guint) limit : fb_accuracy_oracle_get_default_limit (oracle);
        }
    }
  if (objectives & FB_PARETO_ACCURACY)
    {
      if (sensitivity_path)
        {
          g_autoptr(FbCandidateList) cached = fb_candidate_list_load (net, sensitivity_path, &error);
          if (cached == NULL || !(sensitivity = fb_sensitivity_new_from_candidates (cached, sensitivity_path, &error)))
            return fb_cli_error (error, FB_CLI_EXIT_INPUT);
        }
      else
        {
          guint sl = limit >= 0 ? (guint) limit : fb_accuracy_oracle_get_default_limit (oracle);
          job.label = "sensitivity";
          sensitivity = fb_sensitivity_measure (oracle, sl, on_progress, &job, NULL, &error);
          progress_done (&job);
          if (sensitivity == NULL)
            return fb_cli_error (error, FB_CLI_EXIT_FAILED);
        }
    }

  list = fb_candidate_list_new (net);
  job.list = NULL;
  job.found = found;
  job.label = method;
  t0 = g_get_monotonic_time ();
  json_builder_begin_array (changes_json);

  if (is_diff)
    {
      dopt.start = start;
      job.label = diff_method;
      ok = run_diff (net, weights, table, &dopt, lambdas, diff_method, &cons, json, &job, &error);
    }
  else if (g_str_equal (method, "uniform"))
    ok = fb_search_uniform (net, table, start, &cons, on_candidate, on_progress, &job, NULL, &error);
  else if (is_pareto || is_bops)
    ok = fb_search_pareto (net, table, sensitivity, start, objectives, epsilon, &cons, method, on_candidate,
                           on_progress, &job, NULL, &pstats, &error);
  else
    {
      /* Start configs: --config, every config of --starts (a stage-1 sweep), else
       * the uniform ones stand in for a sweep. */
      if (start)
        g_ptr_array_add (starts, fb_precision_config_copy (start));
      else if (starts_path)
        {
          g_autoptr(FbCandidateList) from = fb_candidate_list_load (net, starts_path, &error);
          if (from == NULL)
            return fb_cli_error (error, FB_CLI_EXIT_INPUT);
          for (guint k = 0; k < fb_candidate_list_get_length (from); k++)
            g_ptr_array_add (starts, fb_precision_config_copy (
                                       fb_candidate_get_config (fb_candidate_list_get (from, k))));
          if (starts->len == 0)
            {
              g_printerr ("freebits-cli: %s: no candidates to start from\n", starts_path);
              return FB_CLI_EXIT_INPUT;
            }
        }
      else
        for (guint w = 8; w >= 2; w /= 2)
          for (guint a = 8; a >= 2; a /= 2)
            {
              FbPrecisionConfig *u = fb_precision_config_new_uniform (net, w, a, NULL);
              if (u)
                g_ptr_array_add (starts, u);
            }
      for (guint k = 0; k < starts->len && ok; k++)
        {
          FbPrecisionConfig *s = g_ptr_array_index (starts, k);
          g_autoptr(GPtrArray) changes = NULL;
          g_autoptr(FbCandidate) result = NULL;
          g_autoptr(FbCandidate) before = fb_candidate_new_evaluated (s, table, NAN, "start", NULL, &error);
          g_autofree char *name = NULL;
          guint applied = 0;

          if (before == NULL)
            {
              ok = FALSE;
              break;
            }
          name = config_spec ? g_strdup (config_spec) : config_summary (before);
          ok = fb_search_free_bits (s, table, &fbo, &cons, on_candidate, on_progress, &job, NULL,
                                    &changes, &result, &error);
          if (!ok)
            break;
          progress_done (&job);
          for (guint i = 0; i < changes->len; i++)
            applied += ((FbFreeBitsChange *) g_ptr_array_index (changes, i))->applied;
          json_builder_begin_object (changes_json);
          fb_json_add_string (changes_json, "start", name);
          fb_json_add_double (changes_json, "latency_before", fb_candidate_get_metrics (before)->latency);
          fb_json_add_double (changes_json, "latency_after", fb_candidate_get_metrics (result)->latency);
          json_builder_set_member_name (changes_json, "changes");
          json_builder_begin_array (changes_json);
          if (!json)
            g_print ("from %s: %u change%s, latency %.10g → %.10g\n", name, applied,
                     applied == 1 ? "" : "s", fb_candidate_get_metrics (before)->latency,
                     fb_candidate_get_metrics (result)->latency);
          for (guint i = 0; i < changes->len; i++)
            {
              FbFreeBitsChange *ch = g_ptr_array_index (changes, i);
              json_builder_add_string_value (changes_json, ch->message);
              if (!json)
                g_print ("  %s\n", ch->message);
            }
          json_builder_end_array (changes_json);
          json_builder_end_object (changes_json);
        }
      if (!json && ok)
        g_print ("\n");
    }
  progress_done (&job);
  json_builder_end_array (changes_json);
  if (!ok)
    {
      /* Table gaps and packing problems are the input's fault. */
      return fb_cli_error (error, error->domain == FB_ERROR ? FB_CLI_EXIT_INPUT : FB_CLI_EXIT_FAILED);
    }
  {
    g_autofree char *states = (is_pareto || is_bops)
      ? g_strdup_printf (" (DP %.1f ms, with candidates %.1f ms, max %u DP states)", pstats.dp_seconds * 1e3,
                         pstats.total_seconds * 1e3, pstats.max_states)
      : g_strdup ("");
    g_printerr ("%s: %u candidate%s in %.1f ms%s\n", method, found->len, found->len == 1 ? "" : "s",
                (g_get_monotonic_time () - t0) / 1e3, states);
  }

  /* Real accuracy of the results, all on the same images (the lowering step's own
   * evaluations used its --limit; these replace them). */
  if (oracle && !no_measure)
    {
      g_autoptr(GPtrArray) measured = NULL;
      job.label = "accuracy";
      if (!fb_search_measure (found, oracle, measure_limit, &cons, on_progress, &job, NULL, &measured, &error))
        return fb_cli_error (error, FB_CLI_EXIT_FAILED);
      progress_done (&job);
      g_ptr_array_unref (found);
      found = g_steal_pointer (&measured);
    }
  for (guint i = 0; i < found->len; i++)
    fb_candidate_list_add (list, g_ptr_array_index (found, i));

  if (output && !fb_candidate_list_save (list, output, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);

  if (json)
    {
      g_autoptr(JsonNode) root = fb_candidate_list_to_json (list);
      JsonObject *obj = json_node_get_object (root);
      json_object_set_string_member (obj, "method", method);
      json_object_set_int_member (obj, "seed", seed);
      if (table)
        {
          json_object_set_string_member (obj, "target", fb_latency_table_get_target (table));
          json_object_set_string_member (obj, "latency_unit",
                                         fb_latency_unit_to_string (fb_latency_table_get_unit (table)));
        }
      if (is_pareto || is_bops)
        {
          g_autofree char *objs = fb_pareto_objectives_to_string (objectives);
          json_object_set_string_member (obj, "objectives", objs);
          json_object_set_double_member (obj, "epsilon", fb_pareto_objectives_count (objectives) >= 3 ? epsilon : 0);
        }
      if (g_str_equal (method, "free-bits"))
        json_object_set_member (obj, "free_bits", json_builder_get_root (changes_json));
      fb_cli_print_json (root);
    }
  else
    print_table (list, table);
  return FB_CLI_EXIT_OK;
}
