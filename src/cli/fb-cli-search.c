/* fb-cli-search.c — freebits-cli search NETWORK --method uniform|diff|free-bits|pareto|bops ...
 *
 * The method, its options and its run come from the method table in src/app
 * (fb-search-method.h), through FbSearchJob run on this thread: the GUI's
 * search panel runs the same code. Progress goes to stderr, the result table (or --json) to stdout, the candidates
 * file to -o. Without an accuracy oracle every candidate's accuracy is null and
 * the accuracy options are refused (fb_cli_create_oracle() below).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "fb-accuracy-split.h"
#include "fb-app-session.h"
#include "fb-cli.h"
#include "fb-error.h"
#include "fb-free-bits-change.h"
#include "fb-json.h"
#include "fb-mpi.h"
#include "fb-search-job.h"
#include "fb-search-measure.h"
#include "fb-search-summary.h"

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
fb_cli_create_oracle (FbAppSession *session, GError **error)
{
  return fb_app_session_create_oracle (session, NULL, error);
}

void
fb_cli_data_clear (FbCliData *d)
{
  g_clear_pointer (&d->path, g_free);
  g_clear_pointer (&d->layout, g_free);
}

FbAppSession *
fb_cli_session_new (FbNetwork *network, const char *weights_path, FbCliData *data, int *status)
{
  g_autoptr(FbAppSession) session = fb_app_session_new (network);
  g_autoptr(GError) error = NULL;
  FbDatasetLayout layout;

  *status = FB_CLI_EXIT_INPUT;
  if (!fb_dataset_layout_from_string (data->layout, &layout))
    {
      g_printerr ("freebits-cli: --layout must be nhwc, nchw or auto, not \"%s\"\n", data->layout);
      return NULL;
    }
  if (!(data->val_split >= 0 && data->val_split < 1))
    {
      g_printerr ("freebits-cli: --val-split must be in [0, 1), not %g\n", data->val_split);
      return NULL;
    }
  fb_app_session_set_weights_path (session, weights_path);
  fb_app_session_set_dataset_path (session, data->path);
  fb_app_session_set_dataset_options (session, layout, data->val_split);
  if (data->path != NULL && !fb_app_session_open_dataset (session, NULL, &error))
    {
      fb_cli_error (error, FB_CLI_EXIT_INPUT);
      return NULL;
    }
  *status = -1;
  return g_steal_pointer (&session);
}


/* ---- progress on stderr ------------------------------------------------- */

typedef struct {
  gboolean    tty;
  int         last_decile;
  const char *label;
  double      last_fraction;
} Progress;

static void
progress_print (Progress *p, double fraction, const char *message)
{
  int decile = (int) (fraction * 10);

  /* Under mpirun rank 0 speaks for all. */
  if (!fb_mpi_is_root ())
    return;

  /* A terminal gets a live line; a log gets one line per 10 %. */
  if (p->tty)
    g_printerr ("\r\033[K%s: %3.0f%% %s", p->label, 100 * fraction, message ? message : "");
  else if (decile > p->last_decile)
    {
      p->last_decile = decile;
      g_printerr ("%s: %3.0f%% %s\n", p->label, 100 * fraction, message ? message : "");
    }
}

static void
on_progress (double fraction, const char *message, gpointer user_data)
{
  progress_print (user_data, fraction, message);
}

static void
on_job_progress (FbJob *job, Progress *p)
{
  /* The job also says "progress" for every candidate; print real changes only. */
  if (fb_job_get_fraction (job) == p->last_fraction && p->tty)
    return;
  p->last_fraction = fb_job_get_fraction (job);
  progress_print (p, fb_job_get_fraction (job), fb_job_get_stage (job));
}

static void
progress_done (Progress *p)
{
  if (p->tty)
    g_printerr ("\r\033[K");
  p->last_decile = -1;
  p->last_fraction = -1;
}

/* ---- results ------------------------------------------------------------ */

void
fb_cli_print_candidates (FbCandidateList *list, FbLatencyTable *table)
{
  const char *unit = table ? fb_latency_unit_to_string (fb_latency_table_get_unit (table)) : "latency";

  g_print ("%3s  %-10s %-28s %12s %16s %14s %12s %9s\n", "#", "method", "config", "size B", "BOPs", unit, "RAM B",
           "accuracy");
  for (guint i = 0; i < fb_candidate_list_get_length (list); i++)
    {
      FbCandidate *c = fb_candidate_list_get (list, i);
      const FbMetrics *m = fb_candidate_get_metrics (c);
      g_autofree char *summary = fb_search_config_summary (fb_candidate_get_config (c));
      g_autofree char *size = fb_cli_group (m->size_bytes);
      g_autofree char *bops = fb_cli_group (m->bops);
      /* The bundle's RAM (arena + kernel scratch), the figure --max-ram budgets */
      g_autofree char *ram = m->ram_bytes > 0 ? fb_cli_group (m->ram_bytes) : g_strdup ("-");
      g_autofree char *lat = isnan (m->latency) ? g_strdup ("-") : g_strdup_printf ("%.10g", m->latency);
      double a = fb_candidate_get_accuracy (c);
      g_autofree char *acc = isnan (a) ? g_strdup ("-") : g_strdup_printf ("%.2f%%", 100 * a);

      g_print ("%3u  %-10s %-28s %12s %16s %14s %12s %9s\n", i, fb_candidate_get_method (c), summary,
               size, bops, lat, ram, acc);
    }
}

/* Free Bits' changes per start: printed (unless @json) and as JSON. */
static JsonNode *
free_bits_runs (GPtrArray *runs, gboolean json)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_array (b);
  for (guint k = 0; runs != NULL && k < runs->len; k++)
    {
      FbFreeBitsRun *r = g_ptr_array_index (runs, k);
      guint applied = 0;

      for (guint i = 0; i < r->changes->len; i++)
        applied += ((FbFreeBitsChange *) g_ptr_array_index (r->changes, i))->applied;
      json_builder_begin_object (b);
      fb_json_add_string (b, "start", r->start);
      fb_json_add_double (b, "latency_before", r->latency_before);
      fb_json_add_double (b, "latency_after", r->latency_after);
      json_builder_set_member_name (b, "changes");
      json_builder_begin_array (b);
      if (!json)
        g_print ("from %s: %u change%s, latency %.10g → %.10g\n", r->start, applied, applied == 1 ? "" : "s",
                 r->latency_before, r->latency_after);
      for (guint i = 0; i < r->changes->len; i++)
        {
          FbFreeBitsChange *ch = g_ptr_array_index (r->changes, i);
          json_builder_add_string_value (b, ch->message);
          if (!json)
            g_print ("  %s\n", ch->message);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (!json && runs != NULL)
    g_print ("\n");
  return json_builder_get_root (b);
}

/* ---- the command -------------------------------------------------------- */

/* What the command line gave, besides the method's options. */
typedef struct {
  FbSearchOptionTexts texts;
  FbSearchParams      params;
  char               *method, *latency_path, *config_spec, *starts_path, *sensitivity_path, *weights, *output;
  char               *objectives, *epsilon, *max_latency, *max_size, *max_ram, *min_accuracy, *tolerance;
  char               *max_drop, *min_gain, *cost, *lambdas, *lr, *batch, *seed, *steps, *limit_train, *limit, *shards;
  gboolean            json, full, no_measure, epsilon_defaulted;
  FbCliData           data;
} SearchArgs;

static void
search_args_clear (SearchArgs *a)
{
  char **strings[] = { &a->method, &a->latency_path, &a->config_spec, &a->starts_path, &a->sensitivity_path,
                       &a->weights, &a->output, &a->objectives, &a->epsilon, &a->max_latency, &a->max_size,
                       &a->max_ram, &a->min_accuracy, &a->tolerance, &a->max_drop, &a->min_gain, &a->cost,
                       &a->lambdas, &a->lr, &a->batch, &a->seed, &a->steps, &a->limit_train, &a->limit,
                       &a->shards };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
  fb_cli_data_clear (&a->data);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SearchArgs, search_args_clear)

/* Parses argv into @a (options) and the method's params; an exit code or -1. */
static int
parse_args (SearchArgs *a, int *argc, char ***argv)
{
  GOptionEntry entries[] = {
    { "method", 'm', 0, G_OPTION_ARG_STRING, &a->method,
      "uniform, diff (differentiable, on the supernet), free-bits, pareto or bops", "METHOD" },
    FB_CLI_LATENCY_ENTRY (&a->latency_path, "Latency table (freebits-latency/1)"),
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &a->config_spec,
      "Start config (file or wXaY); its pins hold in every result. free-bits without it starts from every uniform config", "START" },
    { "starts", 0, 0, G_OPTION_ARG_FILENAME, &a->starts_path,
      "free-bits: start from every config of a candidates file (e.g. a diff sweep's -o)", "FILE" },
    { "cost", 0, 0, G_OPTION_ARG_STRING, &a->cost,
      "diff: the regularized cost, size (weights' Flash bytes, default) or bops", "COST" },
    { "lambdas", 0, 0, G_OPTION_ARG_STRING, &a->lambdas,
      "diff: λ values of the sweep (default 0,0.02,0.05,0.1,0.2,0.5,1)", "LIST" },
    { "steps", 0, 0, G_OPTION_ARG_STRING, &a->steps, "diff: architecture steps per λ (default 300)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_STRING, &a->batch, "diff: images per architecture step (default 128)", "N" },
    { "lr", 0, 0, G_OPTION_ARG_STRING, &a->lr, "diff: Adam learning rate of the architecture logits (default 0.05)", "R" },
    { "limit-train", 0, 0, G_OPTION_ARG_STRING, &a->limit_train, "diff: use the first N training images (default all)", "N" },
    { "shards", 0, 0, G_OPTION_ARG_STRING, &a->shards,
      "diff: shards of each step's batch (default 2); under mpirun with fewer λ than ranks, the ranks share them", "N" },
    { "objectives", 0, 0, G_OPTION_ARG_STRING, &a->objectives,
      "pareto: latency,size (default); bops and accuracy (the sensitivity proxy) optional", "LIST" },
    { "epsilon", 0, 0, G_OPTION_ARG_STRING, &a->epsilon,
      "pareto with 3+ objectives: ε-dominance factor (default 0.01; 0 = exact)", "E" },
    { "max-latency", 0, 0, G_OPTION_ARG_STRING, &a->max_latency, "Latency budget (table units)", "X" },
    { "max-size", 0, 0, G_OPTION_ARG_STRING, &a->max_size, "Weight memory (Flash) budget", "BYTES" },
    { "max-ram", 0, 0, G_OPTION_ARG_STRING, &a->max_ram, "RAM budget: the exported bundle's arena + kernel scratch on rv32imc (metrics' ram_bytes)", "BYTES" },
    /* The spellings of issue 7. */
    { "budget-latency", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &a->max_latency, NULL, NULL },
    { "budget-size", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &a->max_size, NULL, NULL },
    { "budget-ram", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &a->max_ram, NULL, NULL },
    { "min-accuracy", 0, 0, G_OPTION_ARG_STRING, &a->min_accuracy, "Minimum measured accuracy (fraction; needs the accuracy engine)", "A" },
    { "tolerance", 0, 0, G_OPTION_ARG_STRING, &a->tolerance,
      "free-bits: accept a raise costing up to this fraction of the affected layers' latency (default 0)", "F" },
    { "max-accuracy-drop", 0, 0, G_OPTION_ARG_STRING, &a->max_drop,
      "free-bits: run the lowering step, accepting moves while accuracy stays within this fraction of the "
      "reference (e.g. 0.005 = 0.5 pt; needs the accuracy engine)", "F" },
    { "min-gain", 0, 0, G_OPTION_ARG_STRING, &a->min_gain,
      "free-bits lowering: minimum latency gain, fraction of the affected layers (default 0.01)", "F" },
    { "limit", 0, 0, G_OPTION_ARG_STRING, &a->limit, "Test images per accuracy evaluation (default: the engine's)", "N" },
    { "full", 0, 0, G_OPTION_ARG_NONE, &a->full, "Measure the results on the full test set", NULL },
    { "no-measure", 0, 0, G_OPTION_ARG_NONE, &a->no_measure, "Do not measure the results' accuracy", NULL },
    { "sensitivity", 0, 0, G_OPTION_ARG_FILENAME, &a->sensitivity_path,
      "pareto with accuracy: reuse the sensitivities cached in a candidates file", "FILE" },
    FB_CLI_WEIGHTS_ENTRY (&a->weights, "Trained weights for the accuracy engine"),
    FB_CLI_DATA_ENTRIES (&a->data),
    { "seed", 0, 0, G_OPTION_ARG_STRING, &a->seed, "Seed (diff: its batches; the other methods are deterministic)", "N" },
    FB_CLI_OUTPUT_ENTRY (&a->output, "Write the candidates (freebits-candidates/1)", "FILE"),
    FB_CLI_JSON_ENTRY (&a->json, "Print JSON instead of a table"),
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NETWORK");
  g_autoptr(GError) error = NULL;
  g_autofree char *nicks = fb_search_method_list_nicks ();
  FbSearchOptionTexts *t = &a->texts;

  if (!fb_cli_parse_one (context, entries, "NETWORK", argc, argv,
    "Search per-layer bit-widths: uniform baselines, the differentiable search (EdMIPS on the\n"
    "supernet, size- or BOPs-regularized λ sweep), the Free Bits heuristic (raise free bits;\n"
    "with the accuracy engine also lower them where the latency gain is real), the exact\n"
    "Pareto front of additive objectives, or the BOPs-targeted baseline (exact BOPs-size front)."))
    return FB_CLI_EXIT_INPUT;
  if (a->method == NULL)
    {
      g_autofree char *message = g_strdup_printf ("--method is required (%s)", nicks);
      return fb_cli_usage (context, message);
    }
  *t = (FbSearchOptionTexts) {
    .method = a->method, .objectives = a->objectives, .epsilon = a->epsilon, .max_latency = a->max_latency,
    .max_size = a->max_size, .max_ram = a->max_ram, .min_accuracy = a->min_accuracy, .tolerance = a->tolerance,
    .max_accuracy_drop = a->max_drop, .min_gain = a->min_gain, .cost = a->cost, .lambdas = a->lambdas,
    .lr = a->lr, .batch = a->batch, .seed = a->seed, .steps = a->steps, .limit_train = a->limit_train,
    .shards = a->shards,
    .limit = a->limit, .start = a->config_spec != NULL, .starts = a->starts_path != NULL,
    .sensitivity = a->sensitivity_path != NULL,
  };
  if (!fb_search_params_parse (t, &a->params, &a->epsilon_defaulted, &error))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (a->epsilon_defaulted && fb_mpi_is_root ())
    g_printerr ("freebits-cli: %u objectives: ε-dominance with ε = 0.01 per layer (--epsilon 0 for the exact front)\n",
                fb_pareto_objectives_count (a->params.objectives));
  return -1;
}

/* Everything the job runs on, loaded from the files the options name. */
typedef struct {
  FbNetwork         *net;
  FbLatencyTable    *table;
  FbPrecisionConfig *start;
  GPtrArray         *starts;
  FbAccuracyOracle  *oracle;
  FbSensitivity     *sensitivity;
  FbAppSession      *session;
} SearchInputs;

static void
search_inputs_clear (SearchInputs *in)
{
  g_clear_pointer (&in->net, fb_network_unref);
  g_clear_pointer (&in->table, fb_latency_table_unref);
  g_clear_pointer (&in->start, fb_precision_config_free);
  g_clear_pointer (&in->starts, g_ptr_array_unref);
  g_clear_pointer (&in->oracle, fb_accuracy_oracle_unref);
  g_clear_pointer (&in->sensitivity, fb_sensitivity_unref);
  g_clear_pointer (&in->session, fb_app_session_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SearchInputs, search_inputs_clear)

/* Every config of a candidates file (--starts). */
static GPtrArray *
load_starts (FbNetwork *net, const char *path, GError **error)
{
  g_autoptr(FbCandidateList) from = fb_candidate_list_load (net, path, error);
  g_autoptr(GPtrArray) starts = NULL;

  if (from == NULL)
    return NULL;
  starts = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  for (guint k = 0; k < fb_candidate_list_get_length (from); k++)
    g_ptr_array_add (starts, fb_precision_config_copy (fb_candidate_get_config (fb_candidate_list_get (from, k))));
  if (starts->len == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, "%s: no candidates to start from", path);
      return NULL;
    }
  return g_steal_pointer (&starts);
}

/* Network, table, start configs; an exit code or -1. */
static int
load_files (SearchArgs *a, const char *network_path, SearchInputs *in)
{
  g_autoptr(GError) error = NULL;

  in->net = fb_network_load (network_path, &error);
  if (in->net == NULL)
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (a->latency_path != NULL && !(in->table = fb_cli_load_table (a->latency_path, in->net, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (a->config_spec != NULL && !(in->start = fb_precision_config_new_from_spec (in->net, a->config_spec, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (in->table == NULL && fb_search_params_needs_table (&a->params))
    {
      g_printerr ("freebits-cli: this search needs a latency table (--latency TABLE)\n");
      return FB_CLI_EXIT_INPUT;
    }
  if (a->starts_path != NULL && !(in->starts = load_starts (in->net, a->starts_path, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  {
    int status;
    if (!(in->session = fb_cli_session_new (in->net, a->weights, &a->data, &status)))
      return status;
  }
  fb_app_session_set_latency_table (in->session, in->table);
  return -1;
}

/* The accuracy engine and cached sensitivities; an exit code or -1. */
static int
load_accuracy (SearchArgs *a, SearchInputs *in)
{
  const FbSearchParams *p = &a->params;
  g_autoptr(GError) error = NULL;
  gboolean weights_failed = FALSE;
  /* Everything that needs measured accuracy needs the engine. */
  gboolean wants = fb_search_params_wants_accuracy (p, a->sensitivity_path != NULL) || a->min_gain || a->limit ||
                   a->full;

  in->oracle = fb_app_session_create_oracle (in->session, &weights_failed, &error);
  if (in->oracle == NULL && error != NULL)
    {
      /* Bad --weights are the user's input, as in eval and export. */
      if (weights_failed && fb_app_session_has_explicit_weights (in->session))
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
      /* Asked for accuracy: fail. Otherwise the search stands without it. */
      if (wants)
        return fb_cli_error (error, FB_CLI_EXIT_FAILED);
      /* Notes come from rank 0 only: each rank meets the same condition. */
      if (fb_mpi_is_root ())
        g_printerr ("freebits-cli: warning: accuracy engine unavailable (%s); results are not measured\n",
                    error->message);
      g_clear_error (&error);
    }
  if (in->oracle == NULL && wants)
    {
      g_printerr ("freebits-cli: no accuracy engine for this network (%s): --min-accuracy, --max-accuracy-drop, "
                  "--min-gain, --limit, --full and the accuracy objective need one%s\n", fb_network_get_name (in->net),
                  (p->objectives & FB_PARETO_ACCURACY) ? " (or --sensitivity FILE with cached sensitivities)" : "");
      return FB_CLI_EXIT_INPUT;
    }
  if (p->method == FB_SEARCH_METHOD_BOPS && in->oracle == NULL && a->sensitivity_path == NULL && fb_mpi_is_root ())
    g_printerr ("freebits-cli: no accuracy engine: the BOPs-targeted front is (BOPs, size), where the lowest "
                "admissible bits minimize both (one point); with accuracy it is (BOPs, accuracy proxy)\n");
  if (a->sensitivity_path != NULL)
    {
      g_autoptr(FbCandidateList) cached = fb_candidate_list_load (in->net, a->sensitivity_path, &error);
      if (cached == NULL ||
          !(in->sensitivity = fb_sensitivity_new_from_candidates (cached, a->sensitivity_path, &error)))
        return fb_cli_error (error, FB_CLI_EXIT_INPUT);
    }
  return -1;
}

/* --method diff: each λ's line on stderr. */
static void
on_diff (const FbDiffSearchResult *r, FbCandidate *candidate, gboolean fits, gpointer user_data)
{
  SearchArgs *a = user_data;

  if (!a->json && fb_mpi_is_root ())
    g_printerr ("λ %-6g E[cost] %.3f → argmax %.3f of all-8, mixed loss %.3f, %.1f s\n", r->lambda,
                r->expected_cost, r->cost, r->loss, r->seconds);
  if (!fits && fb_mpi_is_root ())
    g_printerr ("λ %g: result outside the latency/size/RAM budget, dropped\n", r->lambda);
}

/* The differentiable search's supernet and training images. */
static int
setup_diff (SearchArgs *a, SearchInputs *in, FbSearchJob *job)
{
  g_autoptr(GError) error = NULL;
  FbWeights *weights;
  FbDataset *train;

  if (fb_app_session_get_weights_path (in->session) == NULL)
    {
      g_printerr ("freebits-cli: %s: --method diff needs trained supernet weights (the network names none; use "
                  "--weights)\n", fb_network_get_name (in->net));
      return FB_CLI_EXIT_INPUT;
    }
  if (!(weights = fb_app_session_load_weights (in->session, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_INPUT);
  if (!(train = fb_app_session_load_dataset (in->session, FB_DATASET_TRAIN, &error)))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  fb_search_job_set_supernet (job, weights, fb_app_session_get_weights_path (in->session), train);
  fb_search_job_set_diff_func (job, on_diff, a);
  return -1;
}

static void
print_json (SearchArgs *a, SearchInputs *in, FbCandidateList *list, FbSearchJob *job)
{
  const FbSearchRun *run = fb_search_job_get_run (job);
  g_autoptr(JsonNode) root = fb_candidate_list_to_json (list);
  JsonObject *obj = json_node_get_object (root);

  json_object_set_string_member (obj, "method", fb_search_method_to_nick (a->params.method));
  json_object_set_int_member (obj, "seed", a->params.diff_seed);
  if (in->table)
    {
      json_object_set_string_member (obj, "target", fb_latency_table_get_target (in->table));
      json_object_set_string_member (obj, "latency_unit",
                                     fb_latency_unit_to_string (fb_latency_table_get_unit (in->table)));
    }
  if (a->params.method == FB_SEARCH_METHOD_PARETO || a->params.method == FB_SEARCH_METHOD_BOPS)
    {
      g_autofree char *objs = fb_pareto_objectives_to_string (run->objectives_used);
      json_object_set_string_member (obj, "objectives", objs);
      json_object_set_double_member (obj, "epsilon",
                                     fb_pareto_objectives_count (run->objectives_used) >= 3 ? a->params.epsilon : 0);
    }
  if (a->params.method == FB_SEARCH_METHOD_FREE_BITS)
    json_object_set_member (obj, "free_bits", free_bits_runs (run->free_bits_runs, TRUE));
  fb_cli_print_json (root);
}

/* Real accuracy of the results, all on the same images (the lowering step's
 * own evaluations used its --limit; these replace them); then the output. */
static int
finish (SearchArgs *a, SearchInputs *in, FbSearchJob *job, Progress *progress)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = g_ptr_array_ref (fb_search_job_get_found (job));
  g_autoptr(FbCandidateList) list = fb_candidate_list_new (in->net);

  if (in->oracle != NULL && !a->no_measure)
    {
      guint limit = a->full ? 0 : a->params.accuracy_limit >= 0 ? (guint) a->params.accuracy_limit
                                                                : fb_accuracy_oracle_get_default_limit (in->oracle);
      GPtrArray *measured = NULL;

      progress->label = "accuracy";
      /* Under mpirun each rank measures its block of the results. */
      if (!fb_accuracy_split_measure (found, in->oracle, limit, &a->params.constraints, on_progress, progress, NULL,
                                      &measured, &error))
        return fb_cli_error (error, FB_CLI_EXIT_FAILED);
      progress_done (progress);
      g_ptr_array_unref (found);
      found = measured;
    }
  for (guint i = 0; i < found->len; i++)
    fb_candidate_list_add (list, g_ptr_array_index (found, i));
  /* Every rank got here (a failing one ends the run first); rank 0 writes. */
  fb_mpi_barrier ();
  if (a->output && fb_mpi_is_root () && !fb_candidate_list_save (list, a->output, &error))
    return fb_cli_error (error, FB_CLI_EXIT_FAILED);
  if (a->json)
    print_json (a, in, list, job);
  else
    {
      if (a->params.method == FB_SEARCH_METHOD_FREE_BITS)
        json_node_unref (free_bits_runs (fb_search_job_get_run (job)->free_bits_runs, FALSE));
      fb_cli_print_candidates (list, in->table);
      if (fb_candidate_list_get_length (list) == 0)
        g_print ("(no candidate fits the budgets)\n");
    }
  return FB_CLI_EXIT_OK;
}

/* Runs the method through FbSearchJob on this thread; an exit code or -1. */
static int
run_job (SearchArgs *a, SearchInputs *in, FbSearchJob *job, Progress *progress)
{
  g_autoptr(GError) error = NULL;
  const FbSearchRun *run = fb_search_job_get_run (job);
  g_autofree char *states = NULL;
  gint64 t0 = g_get_monotonic_time ();
  guint n;

  fb_search_job_set_oracle (job, in->oracle);
  fb_search_job_set_sensitivity (job, in->sensitivity);
  /* The CLI measures the results itself, on its --limit / --full images. */
  fb_search_job_set_measure (job, FALSE);
  if (in->starts != NULL)
    fb_search_job_set_starts (job, in->starts, NULL);
  else if (in->start == NULL && a->params.method == FB_SEARCH_METHOD_FREE_BITS)
    {
      g_autoptr(GPtrArray) uniform = fb_search_uniform_configs (in->net);
      fb_search_job_set_starts (job, uniform, NULL);
    }
  else
    fb_search_job_set_starts (job, NULL, a->config_spec);
  g_signal_connect (job, "progress", G_CALLBACK (on_job_progress), progress);
  if (!fb_job_run (FB_JOB (job), NULL, &error))
    {
      progress_done (progress);
      /* Table gaps and packing problems are the input's fault. */
      return fb_cli_error (error, error->domain == FB_ERROR ? FB_CLI_EXIT_INPUT : FB_CLI_EXIT_FAILED);
    }
  progress_done (progress);
  n = fb_search_job_get_found (job)->len;
  if (a->params.method == FB_SEARCH_METHOD_PARETO || a->params.method == FB_SEARCH_METHOD_BOPS)
    states = g_strdup_printf (" (DP %.1f ms, with candidates %.1f ms, max %u DP states)",
                              run->pareto_stats.dp_seconds * 1e3, run->pareto_stats.total_seconds * 1e3,
                              run->pareto_stats.max_states);
  if (fb_mpi_is_root ())
    g_printerr ("%s: %u candidate%s in %.1f ms%s\n", fb_search_method_to_nick (a->params.method), n,
                n == 1 ? "" : "s", (g_get_monotonic_time () - t0) / 1e3, states ? states : "");
  return -1;
}

int
fb_cli_search (int argc, char **argv)
{
  g_auto(SearchArgs) a = { 0 };
  g_auto(SearchInputs) in = { 0 };
  g_autoptr(FbSearchJob) job = NULL;
  Progress progress = { isatty (2), -1, NULL, -1 };
  int status;

  if ((status = parse_args (&a, &argc, &argv)) >= 0 ||
      (status = load_files (&a, argv[1], &in)) >= 0 ||
      (status = load_accuracy (&a, &in)) >= 0)
    return status;
  job = fb_search_job_new (in.net, in.table, in.start, &a.params);
  progress.label = fb_search_params_get_method_name (&a.params);
  if ((a.params.method == FB_SEARCH_METHOD_DIFF && (status = setup_diff (&a, &in, job)) >= 0) ||
      (status = run_job (&a, &in, job, &progress)) >= 0)
    return status;
  return finish (&a, &in, job, &progress);
}
