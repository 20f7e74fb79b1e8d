/* fb-search-method.c — the search methods' table, their options and runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <inttypes.h>

#include "fb-diff-split.h"
#include "fb-error.h"
#include "fb-search-method.h"
#include "fb-search-summary.h"

static gboolean run_uniform   (FbSearchRun *run, GError **error);
static gboolean run_free_bits (FbSearchRun *run, GError **error);
static gboolean run_pareto    (FbSearchRun *run, GError **error);
static gboolean run_diff      (FbSearchRun *run, GError **error);

static const FbSearchMethodInfo methods[FB_SEARCH_N_METHODS] = {
  [FB_SEARCH_METHOD_UNIFORM] = {
    FB_SEARCH_METHOD_UNIFORM, "uniform", N_("Uniform search"),
    FB_SEARCH_TAKES_START, FALSE, run_uniform },
  [FB_SEARCH_METHOD_FREE_BITS] = {
    FB_SEARCH_METHOD_FREE_BITS, "free-bits", N_("Free Bits"),
    FB_SEARCH_TAKES_START | FB_SEARCH_TAKES_STARTS | FB_SEARCH_TAKES_TOLERANCE | FB_SEARCH_TAKES_LOWERING,
    TRUE, run_free_bits },
  [FB_SEARCH_METHOD_PARETO] = {
    FB_SEARCH_METHOD_PARETO, "pareto", N_("Pareto DP"),
    FB_SEARCH_TAKES_START | FB_SEARCH_TAKES_OBJECTIVES | FB_SEARCH_TAKES_EPSILON | FB_SEARCH_TAKES_SENSITIVITY,
    FALSE, run_pareto },
  [FB_SEARCH_METHOD_DIFF] = {
    FB_SEARCH_METHOD_DIFF, "diff", N_("Differentiable"),
    FB_SEARCH_TAKES_START | FB_SEARCH_TAKES_DIFF, FALSE, run_diff },
  [FB_SEARCH_METHOD_BOPS] = {
    FB_SEARCH_METHOD_BOPS, "bops", N_("BOPs-targeted"),
    FB_SEARCH_TAKES_START | FB_SEARCH_TAKES_EPSILON | FB_SEARCH_TAKES_SENSITIVITY, FALSE, run_pareto },
};

static const double default_lambdas[] = { 0, 0.02, 0.05, 0.1, 0.2, 0.5, 1 };

const FbSearchMethodInfo *
fb_search_method_get_info (FbSearchMethod method)
{
  g_return_val_if_fail (method < FB_SEARCH_N_METHODS, NULL);
  return &methods[method];
}

const FbSearchMethodInfo *
fb_search_method_lookup (const char *nick)
{
  if (g_strcmp0 (nick, "freebits") == 0)
    nick = "free-bits";
  for (guint i = 0; i < FB_SEARCH_N_METHODS; i++)
    if (g_strcmp0 (nick, methods[i].nick) == 0)
      return &methods[i];
  return NULL;
}

char *
fb_search_method_list_nicks (void)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < FB_SEARCH_N_METHODS; i++)
    g_string_append_printf (s, "%s%s", i == 0 ? "" : i + 1 == FB_SEARCH_N_METHODS ? " or " : ", ",
                            methods[i].nick);
  return g_string_free (s, FALSE);
}

const char *
fb_search_method_to_nick (FbSearchMethod method)
{
  g_return_val_if_fail (method < FB_SEARCH_N_METHODS, NULL);
  return methods[method].nick;
}

gboolean
fb_search_method_from_nick (const char *nick, FbSearchMethod *method)
{
  const FbSearchMethodInfo *info = fb_search_method_lookup (nick);

  if (info == NULL)
    return FALSE;
  *method = info->method;
  return TRUE;
}

const char *
fb_search_method_get_name (FbSearchMethod method)
{
  g_return_val_if_fail (method < FB_SEARCH_N_METHODS, NULL);
  return _(methods[method].name);
}

void
fb_search_params_init (FbSearchParams *p, FbSearchMethod method)
{
  FbDiffSearchOptions diff;
  FbFreeBitsOptions fbo;

  g_return_if_fail (method < FB_SEARCH_N_METHODS);
  memset (p, 0, sizeof *p);
  fb_diff_search_options_init (&diff);
  fb_free_bits_options_init (&fbo);
  p->method = method;
  fb_search_constraints_init (&p->constraints);
  p->tolerance = fbo.tolerance;
  p->objectives = FB_PARETO_LATENCY | FB_PARETO_SIZE;
  p->diff_cost = diff.cost;
  p->diff_steps = diff.steps;
  p->diff_lr = diff.lr;
  p->diff_batch = diff.batch_size;
  p->diff_seed = diff.seed;
  p->n_lambdas = G_N_ELEMENTS (default_lambdas);
  memcpy (p->lambdas, default_lambdas, sizeof default_lambdas);
  p->max_accuracy_drop = fbo.max_accuracy_drop;
  p->min_gain = fbo.min_gain;
  p->accuracy_limit = -1;
}

const char *
fb_search_params_get_method_name (const FbSearchParams *params)
{
  g_return_val_if_fail (params != NULL && params->method < FB_SEARCH_N_METHODS, NULL);
  if (params->method == FB_SEARCH_METHOD_DIFF && params->diff_cost == FB_DIFF_COST_BOPS)
    return "diff-bops";
  return methods[params->method].nick;
}

const char *
fb_search_params_get_series_name (const FbSearchParams *params)
{
  g_return_val_if_fail (params != NULL && params->method < FB_SEARCH_N_METHODS, NULL);
  /* As the CLI names them, so GUI and CLI results line up in one plot. */
  if (params->method == FB_SEARCH_METHOD_DIFF)
    return fb_search_params_get_method_name (params);
  return fb_search_method_get_name (params->method);
}

FbParetoObjectives
fb_search_params_get_objectives (const FbSearchParams *params, gboolean have_sensitivity)
{
  /* BOPs against the accuracy proxy when sensitivities exist, else against
   * size (degenerate: the lowest admissible bits minimize both). */
  if (params->method == FB_SEARCH_METHOD_BOPS)
    return have_sensitivity ? FB_PARETO_BOPS | FB_PARETO_ACCURACY : FB_PARETO_BOPS | FB_PARETO_SIZE;
  return params->objectives;
}

gboolean
fb_search_params_wants_accuracy (const FbSearchParams *params, gboolean have_sensitivity)
{
  return !isnan (params->constraints.min_accuracy) ||
         (params->method == FB_SEARCH_METHOD_FREE_BITS && params->lower) ||
         (params->method == FB_SEARCH_METHOD_PARETO && (params->objectives & FB_PARETO_ACCURACY) &&
          !have_sensitivity);
}

/* ---- parsing ------------------------------------------------------------- */

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
                   _("%s: expected a number in [%g, %g], got \"%s\""), option, min, max, text);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

/* An integer in [@min, @max] (a byte count, a step count, a seed): decimal digits only. */
static gboolean
parse_uint (const char *text, const char *option, guint64 min, guint64 max, guint64 *out, GError **error)
{
  if (text == NULL || g_ascii_string_to_unsigned (text, 10, min, max, out, NULL))
    return TRUE;
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("%s: expected a whole number in [%" PRIu64 ", %" PRIu64 "], got \"%s\""), option, min, max, text);
  return FALSE;
}

/* "0,0.5,1" → values ≥ 0. */
static gboolean
parse_lambdas (const char *text, FbSearchParams *p, GError **error)
{
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    return TRUE;
  parts = g_strsplit (text, ",", -1);
  p->n_lambdas = 0;
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *end = NULL;
      double v = g_ascii_strtod (g_strstrip (parts[i]), &end);

      if (end == parts[i] || *end != '\0' || !(v >= 0.0) || !isfinite (v))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--lambdas: expected comma-separated numbers >= 0, got \"%s\""), parts[i]);
          return FALSE;
        }
      if (p->n_lambdas == FB_SEARCH_MAX_LAMBDAS)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--lambdas: at most %d values"), FB_SEARCH_MAX_LAMBDAS);
          return FALSE;
        }
      p->lambdas[p->n_lambdas++] = v;
    }
  if (p->n_lambdas == 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("--lambdas: empty list"));
      return FALSE;
    }
  return TRUE;
}

/* Every option given must be one @info takes. */
static gboolean
check_takes (const FbSearchMethodInfo *info, const FbSearchOptionTexts *t, GError **error)
{
  const struct {
    gboolean      given;
    FbSearchTakes flag;
    const char   *option;
  } checks[] = {
    { t->start, FB_SEARCH_TAKES_START, "--config" },
    { t->starts, FB_SEARCH_TAKES_STARTS, "--starts" },
    { t->tolerance != NULL, FB_SEARCH_TAKES_TOLERANCE, "--tolerance" },
    { t->max_accuracy_drop != NULL, FB_SEARCH_TAKES_LOWERING, "--max-accuracy-drop" },
    { t->min_gain != NULL, FB_SEARCH_TAKES_LOWERING, "--min-gain" },
    { t->objectives != NULL, FB_SEARCH_TAKES_OBJECTIVES, "--objectives" },
    { t->epsilon != NULL, FB_SEARCH_TAKES_EPSILON, "--epsilon" },
    { t->sensitivity, FB_SEARCH_TAKES_SENSITIVITY, "--sensitivity" },
    { t->cost != NULL, FB_SEARCH_TAKES_DIFF, "--cost" },
    { t->lambdas != NULL, FB_SEARCH_TAKES_DIFF, "--lambdas" },
    { t->lr != NULL, FB_SEARCH_TAKES_DIFF, "--lr" },
    { t->batch != NULL, FB_SEARCH_TAKES_DIFF, "--batch" },
    { t->steps != NULL, FB_SEARCH_TAKES_DIFF, "--steps" },
    { t->limit_train != NULL, FB_SEARCH_TAKES_DIFF, "--limit-train" },
    { t->shards != NULL, FB_SEARCH_TAKES_DIFF, "--shards" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    if (checks[i].given && !(info->takes & checks[i].flag))
      {
        g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("%s is not an option of --method %s%s"),
                     checks[i].option, info->nick,
                     info->method == FB_SEARCH_METHOD_BOPS && checks[i].flag == FB_SEARCH_TAKES_OBJECTIVES
                       ? " (its objectives are fixed; use --method pareto for others)" : "");
        return FALSE;
      }
  if (t->start && t->starts)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("--starts and --config exclude each other"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_diff (const FbSearchOptionTexts *t, FbSearchParams *p, GError **error)
{
  guint64 steps = p->diff_steps, batch = p->diff_batch, seed = p->diff_seed, limit_train = 0, shards = 0;

  if (t->cost != NULL && !fb_diff_cost_from_string (t->cost, &p->diff_cost))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("--cost: expected size or bops, got \"%s\""),
                   t->cost);
      return FALSE;
    }
  if (!parse_lambdas (t->lambdas, p, error) ||
      !parse_double (t->lr, "--lr", 1e-6, 10, &p->diff_lr, error) ||
      !parse_uint (t->steps, "--steps", 1, 1000000, &steps, error) ||
      !parse_uint (t->batch, "--batch", 1, 65536, &batch, error) ||
      !parse_uint (t->seed, "--seed", 0, G_MAXUINT32, &seed, error) ||
      !parse_uint (t->limit_train, "--limit-train", 0, G_MAXUINT32, &limit_train, error) ||
      !parse_uint (t->shards, "--shards", 1, 256, &shards, error))
    return FALSE;
  p->diff_shards = (guint) shards;
  p->diff_steps = (guint) steps;
  p->diff_batch = (guint) batch;
  p->diff_seed = (guint32) seed;
  p->diff_limit_train = (guint) limit_train;
  return TRUE;
}

gboolean
fb_search_params_parse (const FbSearchOptionTexts *t, FbSearchParams *p, gboolean *epsilon_defaulted,
                        GError **error)
{
  const FbSearchMethodInfo *info;
  guint64 max_size = 0, max_ram = 0, limit = 0;
  g_autofree char *nicks = fb_search_method_list_nicks ();

  if (epsilon_defaulted != NULL)
    *epsilon_defaulted = FALSE;
  if (t->method == NULL || (info = fb_search_method_lookup (t->method)) == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("--method: expected %s, got %s%s%s"), nicks,
                   t->method ? "\"" : "", t->method ? t->method : "none", t->method ? "\"" : "");
      return FALSE;
    }
  fb_search_params_init (p, info->method);
  if (!check_takes (info, t, error) ||
      !parse_double (t->max_latency, "--max-latency", 0, INFINITY, &p->constraints.max_latency, error) ||
      !parse_uint (t->max_size, "--max-size", 1, G_MAXUINT64, &max_size, error) ||
      !parse_uint (t->max_ram, "--max-ram", 1, G_MAXUINT64, &max_ram, error) ||
      !parse_double (t->min_accuracy, "--min-accuracy", 0, 1, &p->constraints.min_accuracy, error) ||
      !parse_double (t->tolerance, "--tolerance", 0, 10, &p->tolerance, error) ||
      !parse_double (t->max_accuracy_drop, "--max-accuracy-drop", 0, 1, &p->max_accuracy_drop, error) ||
      !parse_double (t->min_gain, "--min-gain", 0, 1, &p->min_gain, error) ||
      !parse_double (t->epsilon, "--epsilon", 0, 1, &p->epsilon, error) ||
      !parse_uint (t->limit, "--limit", 0, G_MAXUINT32, &limit, error) ||
      (t->objectives != NULL && !fb_pareto_objectives_parse (t->objectives, &p->objectives, error)) ||
      !parse_diff (t, p, error))
    return FALSE;
  if (t->max_size != NULL)
    p->constraints.max_size = max_size;
  if (t->max_ram != NULL)
    p->constraints.max_ram = max_ram;
  if (t->limit != NULL)
    p->accuracy_limit = (int) MIN (limit, G_MAXINT);
  /* The lowering step runs when asked for (it needs the accuracy engine). */
  p->lower = t->max_accuracy_drop != NULL;
  /* The exact 3-objective front of a 60-layer net takes minutes (fronts of
   * tens of thousands of points); 1 % ε keeps it to seconds. */
  if (t->epsilon == NULL && info->method == FB_SEARCH_METHOD_PARETO && fb_pareto_objectives_count (p->objectives) >= 3)
    {
      p->epsilon = 0.01;
      if (epsilon_defaulted != NULL)
        *epsilon_defaulted = TRUE;
    }
  return TRUE;
}

/* ---- runs ---------------------------------------------------------------- */

void
fb_free_bits_run_free (FbFreeBitsRun *run)
{
  if (run == NULL)
    return;
  g_free (run->start);
  g_clear_pointer (&run->changes, g_ptr_array_unref);
  g_free (run);
}

void
fb_search_run_clear (FbSearchRun *run)
{
  g_clear_pointer (&run->free_bits_runs, g_ptr_array_unref);
  g_clear_pointer (&run->measured_sensitivity, fb_sensitivity_unref);
}

static guint
oracle_limit (FbSearchRun *run)
{
  if (run->params->accuracy_limit >= 0)
    return (guint) run->params->accuracy_limit;
  return fb_accuracy_oracle_get_default_limit (run->oracle);
}

static gboolean
run_uniform (FbSearchRun *run, GError **error)
{
  return fb_search_uniform (run->network, run->table, run->start, &run->params->constraints, run->candidate_func,
                            run->progress_func, run->user_data, run->cancellable, error);
}

GPtrArray *
fb_search_uniform_configs (FbNetwork *network)
{
  GPtrArray *configs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);

  for (guint w = 8; w >= 2; w /= 2)
    for (guint a = 8; a >= 2; a /= 2)
      {
        FbPrecisionConfig *u = fb_precision_config_new_uniform (network, w, a, NULL);
        if (u != NULL)
          g_ptr_array_add (configs, u);
      }
  return configs;
}

/* The start configs, else the start config, else the uniform ones stand in
 * for a sweep. */
static GPtrArray *
free_bits_starts (FbSearchRun *run)
{
  GPtrArray *starts;

  if (run->starts == NULL && run->start == NULL)
    return fb_search_uniform_configs (run->network);
  starts = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  if (run->starts != NULL)
    for (guint k = 0; k < run->starts->len; k++)
      g_ptr_array_add (starts, fb_precision_config_copy (g_ptr_array_index (run->starts, k)));
  else
    g_ptr_array_add (starts, fb_precision_config_copy (run->start));
  return starts;
}

static gboolean
run_free_bits (FbSearchRun *run, GError **error)
{
  const FbSearchParams *p = run->params;
  g_autoptr(GPtrArray) starts = free_bits_starts (run);
  FbFreeBitsOptions options;

  fb_free_bits_options_init (&options);
  options.tolerance = p->tolerance;
  options.max_accuracy_drop = p->max_accuracy_drop;
  options.min_gain = p->min_gain;
  if (p->lower && run->oracle != NULL)
    {
      options.oracle = run->oracle;
      options.limit = oracle_limit (run);
    }
  run->free_bits_runs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_free_bits_run_free);
  for (guint k = 0; k < starts->len; k++)
    {
      FbPrecisionConfig *s = g_ptr_array_index (starts, k);
      g_autoptr(FbCandidate) before = fb_candidate_new_evaluated (s, run->table, NAN, "start", NULL, error);
      g_autoptr(FbCandidate) result = NULL;
      FbFreeBitsRun *r;

      if (before == NULL)
        return FALSE;
      r = g_new0 (FbFreeBitsRun, 1);
      g_ptr_array_add (run->free_bits_runs, r);
      r->start = run->start_name != NULL && run->starts == NULL ? g_strdup (run->start_name)
                                                                : fb_search_config_summary (s);
      r->latency_before = fb_candidate_get_metrics (before)->latency;
      if (!fb_search_free_bits (s, run->table, &options, &p->constraints, run->candidate_func, run->progress_func,
                                run->user_data, run->cancellable, &r->changes, &result, error))
        return FALSE;
      r->latency_after = fb_candidate_get_metrics (result)->latency;
    }
  return TRUE;
}

static gboolean
run_pareto (FbSearchRun *run, GError **error)
{
  const FbSearchParams *p = run->params;
  FbSensitivity *sensitivity = run->sensitivity != NULL ? run->sensitivity : run->measured_sensitivity;

  FbParetoParams pp;

  run->objectives_used = fb_search_params_get_objectives (p, sensitivity != NULL);
  pp = (FbParetoParams) {
    .network = run->network, .table = run->table, .sensitivity = sensitivity, .start = run->start,
    .objectives = run->objectives_used, .epsilon = p->epsilon, .constraints = &p->constraints,
    .method = fb_search_params_get_method_name (p), .candidate_func = run->candidate_func,
    .progress_func = run->progress_func, .user_data = run->user_data, .cancellable = run->cancellable,
  };
  return fb_search_pareto_run (&pp, &run->pareto_stats, error);
}

/* The differentiable search hands over one config per λ. */
typedef struct {
  FbSearchRun *run;
  guint        done;    /* λ values finished */
  GError      *error;   /* the first result that could not be evaluated or measured */
} DiffRun;

/* With measure_streamed each λ's result is measured at once (a second or two,
 * against a minute of training), so it appears in an accuracy plot while the
 * sweep goes on. */
static void
on_diff_result (FbPrecisionConfig *config, const FbDiffSearchResult *result, gpointer user_data)
{
  DiffRun *dr = user_data;
  FbSearchRun *run = dr->run;
  const FbSearchParams *p = run->params;
  g_autoptr(FbCandidate) candidate = NULL;
  g_autoptr(FbCandidate) measured = NULL;
  g_autoptr(JsonObject) extra = NULL;
  g_autofree char *message = NULL;
  double accuracy = NAN;
  gboolean fits;
  guint limit;

  dr->done++;
  if (dr->error != NULL)
    return;
  candidate = fb_candidate_new_evaluated (config, run->table, NAN, fb_search_params_get_method_name (p),
                                          fb_precision_config_get_provenance (config), &dr->error);
  if (candidate == NULL)
    return;
  /* The sweep cannot aim at a budget; results outside one are dropped. */
  fits = fb_search_constraints_check (&p->constraints, fb_candidate_get_metrics (candidate), NAN);
  if (run->diff_func != NULL)
    run->diff_func (result, candidate, fits, run->diff_data);
  if (!fits)
    return;
  if (run->oracle == NULL || !run->measure_streamed)
    {
      run->candidate_func (candidate, run->user_data);
      return;
    }
  limit = oracle_limit (run);
  message = g_strdup_printf ("λ %g (%u/%u): accuracy on %u test images", result->lambda, dr->done,
                             p->n_lambdas, limit);
  if (run->progress_func != NULL)
    run->progress_func ((double) dr->done / p->n_lambdas, message, run->user_data);
  /* Cancelled here, the sweep stops at its next step. */
  if (!fb_accuracy_oracle_evaluate (run->oracle, config, limit, run->cancellable, &accuracy, &dr->error))
    return;
  if (!fb_search_constraints_check (&p->constraints, fb_candidate_get_metrics (candidate), accuracy))
    return;
  /* As fb_search_measure() records it. */
  extra = json_object_new ();
  json_object_set_string_member (extra, "oracle", fb_accuracy_oracle_get_name (run->oracle));
  json_object_set_int_member (extra, "accuracy_limit", limit);
  measured = fb_candidate_new_with_accuracy (candidate, accuracy, extra);
  run->candidate_func (measured, run->user_data);
}

static void
on_diff_progress (double fraction, const char *message, gpointer user_data)
{
  FbSearchRun *run = ((DiffRun *) user_data)->run;

  if (run->progress_func != NULL)
    run->progress_func (fraction, message, run->user_data);
}

static gboolean
run_diff (FbSearchRun *run, GError **error)
{
  const FbSearchParams *p = run->params;
  FbDiffSearchOptions options;
  FbDiffSweep sweep;
  DiffRun dr = { run, 0, NULL };

  if (run->supernet == NULL || run->train == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: the differentiable search needs the network's trained weights and the "
                     "Fashion-MNIST training images"), fb_network_get_name (run->network));
      return FALSE;
    }
  fb_diff_search_options_init (&options);
  options.cost = p->diff_cost;
  if (p->diff_steps > 0)
    options.steps = p->diff_steps;
  if (p->diff_lr > 0)
    options.lr = p->diff_lr;
  if (p->diff_batch > 0)
    options.batch_size = p->diff_batch;
  options.seed = p->diff_seed;
  options.limit_train = p->diff_limit_train;
  /* Its pinned entries hold in every result. */
  options.start = run->start;
  options.shards = p->diff_shards;
  /* Under mpirun the λ values or the steps' shards are split over the ranks. */
  sweep = (FbDiffSweep) { .network = run->network, .supernet = run->supernet, .origin = run->supernet_origin,
                          .train = run->train, .options = &options, .lambdas = p->lambdas,
                          .n_lambdas = p->n_lambdas, .result_func = on_diff_result,
                          .progress_func = on_diff_progress, .user_data = &dr,
                          .cancellable = run->cancellable };
  if (!fb_diff_split_sweep (&sweep, error))
    {
      g_clear_error (&dr.error);
      return FALSE;
    }
  if (dr.error != NULL)
    {
      g_propagate_error (error, dr.error);
      return FALSE;
    }
  return TRUE;
}

gboolean
fb_search_params_needs_table (const FbSearchParams *p)
{
  const FbSearchMethodInfo *info = fb_search_method_get_info (p->method);

  return info->needs_table || fb_search_constraints_has_latency (&p->constraints) ||
         ((info->takes & FB_SEARCH_TAKES_OBJECTIVES) && (p->objectives & FB_PARETO_LATENCY));
}

/* The inputs every method needs, checked before anything runs. */
static gboolean
check_run (FbSearchRun *run, GError **error)
{
  const FbSearchParams *p = run->params;

  if (run->table == NULL && fb_search_params_needs_table (p))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISSING, _("%s: this search needs a latency table"),
                   fb_network_get_name (run->network));
      return FALSE;
    }
  if (p->method == FB_SEARCH_METHOD_DIFF && p->n_lambdas == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: the differentiable search needs at least one λ"),
                   fb_network_get_name (run->network));
      return FALSE;
    }
  return TRUE;
}

/* The accuracy proxy, measured with the oracle when the front needs it and
 * none was given: pareto with the accuracy objective, bops with an oracle. */
static gboolean
prepare_sensitivity (FbSearchRun *run, GError **error)
{
  const FbSearchParams *p = run->params;
  gboolean needed = (p->method == FB_SEARCH_METHOD_PARETO && (p->objectives & FB_PARETO_ACCURACY)) ||
                    (p->method == FB_SEARCH_METHOD_BOPS && run->oracle != NULL);

  if (!needed || run->sensitivity != NULL || run->measured_sensitivity != NULL)
    return TRUE;
  if (run->oracle == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISSING,
                   _("%s: the accuracy objective needs the accuracy engine or cached sensitivities"),
                   fb_network_get_name (run->network));
      return FALSE;
    }
  run->measured_sensitivity = fb_sensitivity_measure (run->oracle, oracle_limit (run), run->progress_func,
                                                      run->user_data, run->cancellable, error);
  return run->measured_sensitivity != NULL;
}

gboolean
fb_search_method_run (FbSearchRun *run, GError **error)
{
  const FbSearchMethodInfo *info;

  g_return_val_if_fail (run != NULL && run->params != NULL && run->network != NULL, FALSE);
  g_return_val_if_fail (run->candidate_func != NULL, FALSE);
  info = fb_search_method_get_info (run->params->method);
  g_return_val_if_fail (info != NULL, FALSE);

  if (!check_run (run, error) || !prepare_sensitivity (run, error))
    return FALSE;
  return info->run (run, error);
}
