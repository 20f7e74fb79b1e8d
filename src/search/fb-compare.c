/* fb-compare.c — BOPs vs latency on a pool of configs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <glib/gi18n-lib.h>

#include "fb-compare.h"
#include "fb-free-bits.h"
#include "fb-json.h"
#include "fb-mpi.h"
#include "fb-pareto.h"
#include "fb-search-measure.h"
#include "fb-search-uniform.h"

typedef struct {
  FbPrecisionConfig *config;
  char              *label;
  char              *source;
  guint64            size, bops;
  double            *latency;    /* per table */
  double             accuracy;   /* measured or proxy estimate; NAN */
} Entry;

typedef struct {
  FbNetwork  *net;
  GPtrArray  *tables;
  GPtrArray  *entries;   /* Entry * */
  GHashTable *seen;      /* FbPrecisionConfig * (borrowed from entries) */
  GError     *error;
} Pool;

void
fb_compare_options_init (FbCompareOptions *self)
{
  self->samples = 200;
  self->seed = 1;
  self->max_front = 64;
  self->oracle = NULL;
  self->limit = 1000;
  self->sensitivity = NULL;
  self->pool_func = NULL;
  self->pool_data = NULL;
}

static void
entry_free (gpointer p)
{
  Entry *e = p;
  fb_precision_config_free (e->config);
  g_free (e->label);
  g_free (e->source);
  g_free (e->latency);
  g_free (e);
}

/* ---- Spearman ---- */

typedef struct {
  double v;
  guint  i;
} Ranked;

static int
ranked_cmp (const void *a, const void *b)
{
  const Ranked *x = a, *y = b;
  if (x->v != y->v)
    return x->v < y->v ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

/* Ranks 1..n, ties get the average of the ranks they span. */
static void
average_ranks (const double *v, guint n, double *rank)
{
  g_autofree Ranked *r = g_new (Ranked, n);

  for (guint i = 0; i < n; i++)
    r[i] = (Ranked) { v[i], i };
  qsort (r, n, sizeof (Ranked), ranked_cmp);
  for (guint i = 0; i < n;)
    {
      guint j = i;
      while (j + 1 < n && r[j + 1].v == r[i].v)
        j++;
      for (guint k = i; k <= j; k++)
        rank[r[k].i] = (i + j) / 2.0 + 1.0;
      i = j + 1;
    }
}

double
fb_spearman (const double *x, const double *y, guint n)
{
  g_autofree double *rx = NULL, *ry = NULL;
  double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;

  if (n < 2)
    return NAN;
  rx = g_new (double, n);
  ry = g_new (double, n);
  average_ranks (x, n, rx);
  average_ranks (y, n, ry);
  /* Pearson correlation of the ranks: exact with ties, unlike 1 − 6Σd²/(n(n²−1)). */
  for (guint i = 0; i < n; i++)
    {
      mx += rx[i];
      my += ry[i];
    }
  mx /= n;
  my /= n;
  for (guint i = 0; i < n; i++)
    {
      sxy += (rx[i] - mx) * (ry[i] - my);
      sxx += (rx[i] - mx) * (rx[i] - mx);
      syy += (ry[i] - my) * (ry[i] - my);
    }
  if (sxx == 0 || syy == 0)
    return NAN;
  return sxy / sqrt (sxx * syy);
}

/* ---- pool ---- */

static gboolean
pool_add (Pool *pool, FbPrecisionConfig *config, const char *label, const char *source, GError **error)
{
  Entry *e;
  guint nt = pool->tables->len;
  FbMetrics m;

  if (g_hash_table_contains (pool->seen, config))
    return TRUE;
  e = g_new0 (Entry, 1);
  e->config = fb_precision_config_copy (config);
  fb_precision_config_set_provenance (e->config, NULL);
  e->label = g_strdup (label);
  e->source = g_strdup (source);
  e->latency = g_new (double, nt);
  e->accuracy = NAN;
  for (guint t = 0; t < nt; t++)
    {
      if (!fb_metrics_compute (e->config, g_ptr_array_index (pool->tables, t), &m, NULL, error))
        {
          entry_free (e);
          return FALSE;
        }
      e->latency[t] = m.latency;
    }
  e->size = m.size_bytes;
  e->bops = m.bops;
  g_ptr_array_add (pool->entries, e);
  g_hash_table_add (pool->seen, e->config);
  return TRUE;
}

static void
collect (FbCandidate *c, gpointer data)
{
  g_ptr_array_add (data, fb_candidate_ref (c));
}

/* Adds a front thinned to @max points (evenly spaced by index, ends kept). */
static gboolean
pool_add_front (Pool *pool, GPtrArray *front, guint max, const char *prefix, const char *source, GError **error)
{
  guint n = front->len;
  guint take = max > 0 && n > max ? max : n;

  for (guint k = 0; k < take; k++)
    {
      guint idx = take > 1 ? (guint) ((guint64) k * (n - 1) / (take - 1)) : 0;
      g_autofree char *label = g_strdup_printf ("%s #%u", prefix, idx);
      if (!pool_add (pool, fb_candidate_get_config (g_ptr_array_index (front, idx)), label, source, error))
        return FALSE;
    }
  return TRUE;
}

static JsonNode *
entry_json (Pool *pool, Entry *e, guint t)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *o = json_object_new ();
  json_object_set_string_member (o, "label", e->label);
  json_object_set_string_member (o, "source", e->source);
  json_object_set_int_member (o, "size_bytes", e->size);
  json_object_set_int_member (o, "bops", e->bops);
  json_object_set_double_member (o, "latency", e->latency[t]);
  if (isnan (e->accuracy))
    json_object_set_null_member (o, "accuracy");
  else
    json_object_set_double_member (o, "accuracy", e->accuracy);
  json_node_take_object (node, o);
  return node;
}

/* Index of the eligible entry minimizing @key (bops or target latency), ties to
 * the lower latency, then the pool order. */
static int
argmin (Pool *pool, const gboolean *ok, gboolean by_bops, guint t)
{
  int best = -1;

  for (guint i = 0; i < pool->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (pool->entries, i), *b;
      if (!ok[i])
        continue;
      if (best < 0)
        {
          best = i;
          continue;
        }
      b = g_ptr_array_index (pool->entries, best);
      if (by_bops ? (e->bops < b->bops || (e->bops == b->bops && e->latency[t] < b->latency[t]))
                  : e->latency[t] < b->latency[t])
        best = i;
    }
  return best;
}

/* Every table for @net, one per target (results are keyed by target). */
static gboolean
check_tables (FbNetwork *net, GPtrArray *tables, GError **error)
{
  for (guint t = 0; t < tables->len; t++)
    {
      if (!fb_latency_table_check_network (g_ptr_array_index (tables, t), net, error))
        return FALSE;
      for (guint u = 0; u < t; u++)
        if (g_str_equal (fb_latency_table_get_target (g_ptr_array_index (tables, t)),
                         fb_latency_table_get_target (g_ptr_array_index (tables, u))))
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                         _("two latency tables for target %s: give one table per target"),
                         fb_latency_table_get_target (g_ptr_array_index (tables, t)));
            return FALSE;
          }
    }
  return TRUE;
}

/* @samples random admissible configs; *@n_random: how many were new. */
static gboolean
add_random (Pool *pool, const FbCompareOptions *options, guint *n_random, GCancellable *cancellable,
            GError **error)
{
  static const guint bits[] = { 8, 4, 2 };
  FbNetwork *net = pool->net;
  g_autoptr(GRand) rand = g_rand_new_with_seed (options->seed);

  for (guint k = 0; k < options->samples; k++)
    {
      g_autoptr(FbPrecisionConfig) c = fb_precision_config_new (net);
      g_autofree char *label = g_strdup_printf ("random %u", k);
      guint before = pool->entries->len;

      for (guint i = 0; i < fb_network_get_n_layers (net); i++)
        if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
          {
            guint bb;
            do
              bb = bits[g_rand_int_range (rand, 0, 3)];
            while (!fb_network_layer_admits_weight_bits (net, i, bb));
            fb_precision_config_set_weight_bits (c, i, bb);
          }
      for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
        if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
          {
            guint bb;
            do
              bb = bits[g_rand_int_range (rand, 0, 3)];
            while (!fb_network_tensor_admits_bits (net, t, bb));
            fb_precision_config_set_tensor_bits (c, t, bb);
          }
      if (!pool_add (pool, c, label, "random", error))
        return FALSE;
      *n_random += pool->entries->len - before;
      if ((k & 63) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* Free Bits from every uniform config and the exact latency-size front on @table. */
static gboolean
add_target_searches (Pool *pool, FbLatencyTable *table, GPtrArray *uniform, const FbCompareOptions *options,
                     GCancellable *cancellable, GError **error)
{
  const char *target = fb_latency_table_get_target (table);
  g_autoptr(GPtrArray) front = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autofree char *fsrc = g_strdup_printf ("free-bits:%s", target);
  g_autofree char *psrc = g_strdup_printf ("pareto:%s", target);
  g_autofree char *pfx = g_strdup_printf ("%s front", target);

  for (guint k = 0; k < uniform->len; k++)
    {
      FbCandidate *u = g_ptr_array_index (uniform, k);
      g_autoptr(FbCandidate) r = NULL;
      g_autofree char *label = g_strdup_printf ("free-bits(%s) from %s", target,
                                                json_object_get_string_member (fb_candidate_get_provenance (u), "name"));
      if (!fb_search_free_bits (fb_candidate_get_config (u), table, NULL, NULL, NULL, NULL, NULL, cancellable,
                                NULL, &r, error) ||
          !pool_add (pool, fb_candidate_get_config (r), label, fsrc, error))
        return FALSE;
    }
  return fb_search_pareto (pool->net, table, NULL, NULL, FB_PARETO_LATENCY | FB_PARETO_SIZE, 0, NULL, NULL, collect,
                           NULL, front, cancellable, NULL, error) &&
         pool_add_front (pool, front, options->max_front, pfx, psrc, error);
}

/* Uniform baselines, the BOPs-targeted front, then per target Free Bits and
 * the latency front. */
static gboolean
add_searches (Pool *pool, const FbCompareOptions *options, FbSearchProgressFunc progress_func,
              gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) uniform = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autoptr(GPtrArray) bops_front = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  GPtrArray *tables = pool->tables;

  if (!fb_search_uniform (pool->net, NULL, NULL, NULL, collect, NULL, uniform, cancellable, error))
    return FALSE;
  for (guint k = 0; k < uniform->len; k++)
    {
      JsonObject *prov = fb_candidate_get_provenance (g_ptr_array_index (uniform, k));
      if (!pool_add (pool, fb_candidate_get_config (g_ptr_array_index (uniform, k)),
                     json_object_get_string_member (prov, "name"), "uniform", error))
        return FALSE;
    }
  /* As search --method bops: against the accuracy proxy when there is one. */
  if (!fb_search_pareto (pool->net, NULL, options->sensitivity, NULL,
                         FB_PARETO_BOPS | (options->sensitivity ? FB_PARETO_ACCURACY : FB_PARETO_SIZE), 0, NULL,
                         "bops", collect, NULL, bops_front, cancellable, NULL, error) ||
      !pool_add_front (pool, bops_front, options->max_front, "bops front", "bops", error))
    return FALSE;
  if (progress_func)
    progress_func (0.2, "uniform and BOPs-targeted", user_data);
  for (guint t = 0; t < tables->len; t++)
    {
      FbLatencyTable *table = g_ptr_array_index (tables, t);

      if (!add_target_searches (pool, table, uniform, options, cancellable, error))
        return FALSE;
      if (progress_func)
        progress_func (0.2 + 0.3 * (t + 1) / tables->len, fb_latency_table_get_target (table), user_data);
    }
  return TRUE;
}

/* Measured accuracy of every entry, in one call to the oracle so it can share
 * work between configs (fb_accuracy_oracle_evaluate_many). Under MPI each rank
 * measures its block of the pool and the blocks are all-gathered in pool
 * order: the same numbers as one process. */
static gboolean
measure_accuracy (Pool *pool, const FbCompareOptions *options, FbSearchProgressFunc progress_func,
                  gpointer user_data, GCancellable *cancellable, GError **error)
{
  GPtrArray *entries = pool->entries;
  g_autofree double *accuracy = g_new0 (double, MAX (entries->len, 1));
  g_autofree FbPrecisionConfig **configs = g_new0 (FbPrecisionConfig *, MAX (entries->len, 1));
  FbSearchMeasureProgress mp = { progress_func, user_data, "accuracy", "", 0, entries->len, 0.5, 0.5, FALSE };
  guint lo, hi;

  fb_mpi_block (entries->len, fb_mpi_get_rank (), &lo, &hi);
  mp.offset = lo;
  for (guint i = lo; i < hi; i++)
    configs[i - lo] = ((Entry *) g_ptr_array_index (entries, i))->config;
  if (!fb_accuracy_oracle_evaluate_many (options->oracle, configs, hi - lo, options->limit,
                                         progress_func != NULL ? fb_search_measure_progress : NULL, &mp,
                                         cancellable, accuracy + lo, error))
    return FALSE;
  fb_mpi_allgather_blocks (accuracy, entries->len, sizeof (double));
  for (guint i = 0; i < entries->len; i++)
    ((Entry *) g_ptr_array_index (entries, i))->accuracy = accuracy[i];
  return TRUE;
}

/* Accuracy: measured, else the proxy, else none. Returns which. */
static const char *
set_accuracy (Pool *pool, const FbCompareOptions *options, FbSearchProgressFunc progress_func,
              gpointer user_data, GCancellable *cancellable, GError **error)
{
  GPtrArray *entries = pool->entries;

  if (options->oracle)
    return measure_accuracy (pool, options, progress_func, user_data, cancellable, error) ? "measured" : NULL;
  if (options->sensitivity)
    {
      for (guint i = 0; i < entries->len; i++)
        {
          Entry *e = g_ptr_array_index (entries, i);
          e->accuracy = fb_sensitivity_get_baseline (options->sensitivity) -
                        fb_sensitivity_estimate_drop (options->sensitivity, e->config);
        }
      return "proxy";
    }
  return "none";
}

/* Levels: accuracy within 0.5/1/2/5 pt of w8a8 (@ref); without accuracy, weight
 * size stands in for it (at least the size of w8a8, w4a8, w2a8 and between:
 * more weight bits, more capacity) — blind to activation bits, and said so. */
static GArray *
match_levels (Pool *pool, gboolean by_size, Entry *ref)
{
  GArray *levels = g_array_new (FALSE, FALSE, sizeof (double));

  if (!by_size && ref)
    {
      static const double drops[] = { 0.005, 0.01, 0.02, 0.05 };
      for (guint k = 0; k < G_N_ELEMENTS (drops); k++)
        {
          double v = ref->accuracy - drops[k];
          g_array_append_val (levels, v);
        }
    }
  else if (by_size)
    {
      double s8 = NAN, s4 = NAN, s2 = NAN;
      for (guint i = 0; i < pool->entries->len; i++)
        {
          Entry *e = g_ptr_array_index (pool->entries, i);
          if (!g_str_equal (e->source, "uniform"))
            continue;
          if (g_str_equal (e->label, "w8a8")) s8 = (double) e->size;
          if (g_str_equal (e->label, "w4a8")) s4 = (double) e->size;
          if (g_str_equal (e->label, "w2a8")) s2 = (double) e->size;
        }
      double cand[] = { s8, (s8 + s4) / 2, s4, (s4 + s2) / 2, s2 };
      for (guint k = 0; k < G_N_ELEMENTS (cand); k++)
        if (!isnan (cand[k]))
          g_array_append_val (levels, cand[k]);
    }
  return levels;
}

/* One row per level: the BOPs-optimal and the latency-optimal eligible config on table @t. */
static void
add_rows_json (JsonBuilder *b, Pool *pool, guint t, GArray *levels, gboolean by_size, Entry *ref)
{
  guint n = pool->entries->len;
  g_autofree gboolean *ok = g_new0 (gboolean, n);

  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (guint k = 0; k < levels->len; k++)
    {
      double th = g_array_index (levels, double, k);
      g_autofree char *lv = by_size ? g_strdup_printf ("size >= %.0f B", th)
                                    : g_strdup_printf ("accuracy >= w8a8 - %.1f pt", 100 * (ref->accuracy - th));
      guint n_ok = 0;
      int ib, il;

      for (guint i = 0; i < n; i++)
        {
          Entry *e = g_ptr_array_index (pool->entries, i);
          ok[i] = by_size ? (double) e->size >= th : e->accuracy >= th;
          n_ok += ok[i];
        }
      ib = argmin (pool, ok, TRUE, t);
      il = argmin (pool, ok, FALSE, t);
      json_builder_begin_object (b);
      fb_json_add_string (b, "level", lv);
      json_builder_set_member_name (b, "threshold");
      json_builder_add_double_value (b, th);
      fb_json_add_int (b, "n_eligible", n_ok);
      if (ib >= 0 && il >= 0)
        {
          Entry *eb = g_ptr_array_index (pool->entries, ib), *el = g_ptr_array_index (pool->entries, il);
          json_builder_set_member_name (b, "bops_optimal");
          json_builder_add_value (b, entry_json (pool, eb, t));
          json_builder_set_member_name (b, "latency_optimal");
          json_builder_add_value (b, entry_json (pool, el, t));
          json_builder_set_member_name (b, "latency_ratio");
          json_builder_add_double_value (b, eb->latency[t] / el->latency[t]);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

/* Table @t: Spearman of BOPs and size against its latency (all and random
 * configs only) and the matched rows. */
static void
add_target_json (JsonBuilder *b, Pool *pool, guint t, guint n_random, const FbCompareOptions *options)
{
  FbLatencyTable *table = g_ptr_array_index (pool->tables, t);
  guint n = pool->entries->len;
  g_autofree double *lat = g_new (double, n), *bops = g_new (double, n), *size = g_new (double, n);
  g_autoptr(GArray) levels = NULL;
  gboolean by_size = isnan (((Entry *) g_ptr_array_index (pool->entries, 0))->accuracy);
  Entry *ref = NULL;

  for (guint i = 0; i < n; i++)
    {
      Entry *e = g_ptr_array_index (pool->entries, i);
      lat[i] = e->latency[t];
      bops[i] = (double) e->bops;
      size[i] = (double) e->size;
      if (ref == NULL && g_str_equal (e->source, "uniform") && g_str_equal (e->label, "w8a8"))
        ref = e;
    }
  json_builder_begin_object (b);
  fb_json_add_string (b, "target", fb_latency_table_get_target (table));
  fb_json_add_string (b, "unit", fb_latency_unit_to_string (fb_latency_table_get_unit (table)));
  fb_json_add_double_or_null (b, "spearman_bops_latency", fb_spearman (bops, lat, n));
  fb_json_add_double_or_null (b, "spearman_size_latency", fb_spearman (size, lat, n));
  json_builder_set_member_name (b, "random_only");
  json_builder_begin_object (b);
  fb_json_add_int (b, "n", n_random);
  fb_json_add_double_or_null (b, "spearman_bops_latency", fb_spearman (bops, lat, n_random));
  fb_json_add_double_or_null (b, "spearman_size_latency", fb_spearman (size, lat, n_random));
  json_builder_end_object (b);
  fb_json_add_string (b, "matched_by", by_size ? "size" : options->oracle ? "accuracy" : "accuracy_proxy");
  levels = match_levels (pool, by_size, ref);
  add_rows_json (b, pool, t, levels, by_size, ref);
  json_builder_end_object (b);
}

/* Every config: its label, source, bits and metrics. */
static void
add_configs_json (JsonBuilder *b, Pool *pool)
{
  json_builder_set_member_name (b, "configs");
  json_builder_begin_array (b);
  for (guint i = 0; i < pool->entries->len; i++)
    {
      Entry *e = g_ptr_array_index (pool->entries, i);
      json_builder_begin_object (b);
      fb_json_add_string (b, "label", e->label);
      fb_json_add_string (b, "source", e->source);
      /* The bits, so a point can be reopened (the GUI's layer table, a config file). */
      json_builder_set_member_name (b, "config");
      json_builder_add_value (b, fb_precision_config_to_json (e->config));
      fb_json_add_int (b, "size_bytes", e->size);
      fb_json_add_int (b, "bops", e->bops);
      json_builder_set_member_name (b, "latency");
      json_builder_begin_object (b);
      for (guint t = 0; t < pool->tables->len; t++)
        {
          json_builder_set_member_name (b, fb_latency_table_get_target (g_ptr_array_index (pool->tables, t)));
          json_builder_add_double_value (b, e->latency[t]);
        }
      json_builder_end_object (b);
      fb_json_add_double_or_null (b, "accuracy", e->accuracy);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static JsonNode *
compare_to_json (Pool *pool, const FbCompareOptions *options, const char *acc_kind, guint n_random)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  GPtrArray *entries = pool->entries;
  guint n = entries->len;
  g_autofree double *lat = g_new (double, n), *bops = g_new (double, n);

  json_builder_begin_object (b);
  fb_json_add_string (b, "network", fb_network_get_name (pool->net));
  fb_json_add_int (b, "seed", options->seed);
  fb_json_add_int (b, "samples", options->samples);
  fb_json_add_int (b, "max_front", options->max_front);
  fb_json_add_int (b, "n_configs", entries->len);
  fb_json_add_string (b, "accuracy", acc_kind);
  if (options->oracle)
    {
      fb_json_add_int (b, "accuracy_limit", options->limit);
    }
  /* Top-level member the issue asks for: the first table's ρ. */
  for (guint i = 0; i < n; i++)
    {
      Entry *e = g_ptr_array_index (entries, i);
      lat[i] = e->latency[0];
      bops[i] = (double) e->bops;
    }
  fb_json_add_double_or_null (b, "spearman_bops_latency", fb_spearman (bops, lat, n));
  json_builder_set_member_name (b, "targets");
  json_builder_begin_array (b);
  for (guint t = 0; t < pool->tables->len; t++)
    add_target_json (b, pool, t, n_random, options);
  json_builder_end_array (b);
  add_configs_json (b, pool);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

JsonNode *
fb_compare_run (FbNetwork *net, GPtrArray *tables, const FbCompareOptions *options,
                FbSearchProgressFunc progress_func, gpointer user_data, GCancellable *cancellable,
                GError **error)
{
  FbCompareOptions defaults;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (entry_free);
  g_autoptr(GHashTable) seen = g_hash_table_new ((GHashFunc) fb_precision_config_hash,
                                                 (GEqualFunc) fb_precision_config_equal);
  Pool pool = { net, tables, entries, seen, NULL };
  const char *acc_kind;
  guint n_random = 0;
  JsonNode *root;

  fb_compare_options_init (&defaults);
  if (options == NULL)
    options = &defaults;
  g_return_val_if_fail (tables != NULL && tables->len > 0, NULL);
  if (!check_tables (net, tables, error))
    return NULL;
  /* Random configs first: their Spearman is reported separately. */
  if (!add_random (&pool, options, &n_random, cancellable, error))
    return NULL;
  if (progress_func)
    progress_func (0.1, "random configs", user_data);
  if (!add_searches (&pool, options, progress_func, user_data, cancellable, error))
    return NULL;
  if (options->pool_func != NULL)
    options->pool_func (compare_to_json (&pool, options, "pending", n_random), options->pool_data);
  acc_kind = set_accuracy (&pool, options, progress_func, user_data, cancellable, error);
  if (acc_kind == NULL)
    return NULL;
  root = compare_to_json (&pool, options, acc_kind, n_random);
  if (progress_func)
    progress_func (1.0, "done", user_data);
  return root;
}
