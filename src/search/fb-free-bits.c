/* fb-free-bits.c — raise precision where the latency table says it is free, then
 * (with an oracle) lower it where the gain is real and the accuracy holds.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-free-bits.h"
#include "fb-mpi.h"

typedef struct {
  FbPrecisionConfig *config;
  FbLatencyTable    *table;
  double             tolerance;
  const FbSearchConstraints *constraints;
  GArray           **tensor_layers;   /* per activation tensor: layers whose key holds its bits */
  GPtrArray         *changes;
  const char        *unit;
  const FbFreeBitsOptions *opt;
  GCancellable      *cancellable;
} FreeBits;

void
fb_free_bits_options_init (FbFreeBitsOptions *self)
{
  self->tolerance = 0;
  self->oracle = NULL;
  self->max_accuracy_drop = 0.005;
  self->min_gain = 0.01;
  self->limit = 1000;
}

/* Latency of @layers under the current config; FALSE if the table lacks a key. */
static gboolean
layers_cost (FreeBits *fb, GArray *layers, double *out)
{
  double sum = 0;

  for (guint k = 0; k < layers->len; k++)
    {
      double c;
      if (!fb_latency_table_layer_cost (fb->table, fb->config, g_array_index (layers, guint, k), &c, NULL))
        return FALSE;
      sum += c;
    }
  *out = sum;
  return TRUE;
}

/* Raises only break size/RAM budgets (or latency within tolerance), so the full
 * metrics are computed only when there is a budget to check. */
static gboolean
fits_budgets (FreeBits *fb)
{
  const FbSearchConstraints *c = fb->constraints;
  FbMetrics m;

  if (c == NULL || (c->max_size == 0 && c->max_ram == 0 && !fb_search_constraints_has_latency (c)))
    return TRUE;
  if (!fb_metrics_compute (fb->config, fb->table, &m, NULL, NULL))
    return FALSE;
  return fb_search_constraints_check (c, &m, NAN);
}

static void
set_bits (FreeBits *fb, gboolean is_weight, guint index, guint bits)
{
  if (is_weight)
    fb_precision_config_set_weight_bits (fb->config, index, bits);
  else
    fb_precision_config_set_tensor_bits (fb->config, index, bits);
}

static char *
describe (FreeBits *fb, gboolean is_weight, guint index, GArray *layers, guint from, guint to,
          double before, double after)
{
  FbNetwork *net = fb_precision_config_get_network (fb->config);
  g_autofree char *why = NULL;
  GString *s = g_string_new (NULL);

  if (after == before)
    why = g_strdup ("free");
  else if (after < before)
    why = g_strdup_printf ("faster by %.3g%%", 100.0 * (before - after) / before);
  else
    why = g_strdup_printf ("+%.3g%%, within tolerance %.3g%%", 100.0 * (after - before) / before,
                           100.0 * fb->tolerance);

  if (is_weight)
    g_string_append_printf (s, "%s weights %u→%u", fb_network_get_layer (net, index)->name, from, to);
  else
    {
      g_string_append_printf (s, "%s activations %u→%u (layers", fb_network_get_tensor (net, index)->name,
                              from, to);
      for (guint k = 0; k < layers->len; k++)
        g_string_append_printf (s, "%s%s", k ? ", " : " ",
                                fb_network_get_layer (net, g_array_index (layers, guint, k))->name);
      g_string_append_c (s, ')');
    }
  g_string_append_printf (s, ": latency %.10g→%.10g %s (%s)", before, after, fb->unit, why);
  return g_string_free (s, FALSE);
}

/* Tries the highest admissible bits above the current ones first; keeps the
 * first that costs at most the tolerance. Returns TRUE if it changed the entry. */
static gboolean
try_raise (FreeBits *fb, gboolean is_weight, guint index, GArray *layers)
{
  static const guint bits[] = { 8, 4 };
  FbNetwork *net = fb_precision_config_get_network (fb->config);
  guint cur = is_weight ? fb_precision_config_get_weight_bits (fb->config, index)
                        : fb_precision_config_get_tensor_bits (fb->config, index);
  double before;

  if (!layers_cost (fb, layers, &before))
    return FALSE;
  for (guint k = 0; k < G_N_ELEMENTS (bits); k++)
    {
      guint nb = bits[k];
      double after;
      gboolean admits = is_weight ? fb_network_layer_admits_weight_bits (net, index, nb)
                                  : fb_network_tensor_admits_bits (net, index, nb);

      if (nb <= cur || !admits)
        continue;
      set_bits (fb, is_weight, index, nb);
      /* A key missing from the table is an option the target cannot run. */
      if (layers_cost (fb, layers, &after) &&
          after - before <= fb->tolerance * before && fits_budgets (fb))
        {
          g_autofree char *msg = describe (fb, is_weight, index, layers, cur, nb, before, after);
          g_ptr_array_add (fb->changes,
                           fb_free_bits_change_new (is_weight, index, cur, nb, before, after, msg));
          return TRUE;
        }
      set_bits (fb, is_weight, index, cur);
    }
  return FALSE;
}

static void
add_unique (GArray *a, guint v)
{
  for (guint k = 0; k < a->len; k++)
    if (g_array_index (a, guint, k) == v)
      return;
  g_array_append_val (a, v);
}

static gint
cmp_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

typedef struct {
  gboolean is_weight;
  guint    index;
  guint    bits;
  double   before, after;
  GArray  *layers;   /* borrowed */
} Move;

static gint
move_cmp (gconstpointer a, gconstpointer b)
{
  const Move *x = a, *y = b;
  double gx = x->before - x->after, gy = y->before - y->after;

  /* Largest gain first; ties in enumeration order (stable, deterministic). */
  if (gx != gy)
    return gx > gy ? -1 : 1;
  if (x->is_weight != y->is_weight)
    return x->is_weight ? -1 : 1;
  if (x->index != y->index)
    return x->index < y->index ? -1 : 1;
  return (int) y->bits - (int) x->bits;
}

/* Key of a vetoed (entry, bits) in the rejected set. */
static gpointer
veto_key (gboolean is_weight, guint index, guint bits)
{
  return GUINT_TO_POINTER (((guint) is_weight << 30) | (index << 4) | bits);
}

static void
add_move (FreeBits *fb, GArray *moves, GHashTable *vetoed, gboolean is_weight, guint index, GArray *layers)
{
  static const guint lower[] = { 4, 2 };
  FbNetwork *net = fb_precision_config_get_network (fb->config);
  guint cur = is_weight ? fb_precision_config_get_weight_bits (fb->config, index)
                        : fb_precision_config_get_tensor_bits (fb->config, index);
  double before;

  if (!layers_cost (fb, layers, &before))
    return;
  for (guint k = 0; k < G_N_ELEMENTS (lower); k++)
    {
      guint nb = lower[k];
      double after;
      gboolean admits = is_weight ? fb_network_layer_admits_weight_bits (net, index, nb)
                                  : fb_network_tensor_admits_bits (net, index, nb);
      if (nb >= cur || !admits || g_hash_table_contains (vetoed, veto_key (is_weight, index, nb)))
        continue;
      set_bits (fb, is_weight, index, nb);
      if (layers_cost (fb, layers, &after) && before - after > fb->opt->min_gain * before)
        {
          Move m = { is_weight, index, nb, before, after, layers };
          g_array_append_val (moves, m);
        }
      set_bits (fb, is_weight, index, cur);
    }
}

/* The accuracies of moves [@first, @first + n) of @moves, each on the current
 * config with that one move applied, into @acc[0..n), n returned in *@n.
 * Under mpirun the next moves, one per rank, are evaluated at once and
 * all-gathered: the first accepted in move order still wins, as when they
 * are tried one by one (the moves after it were evaluated in vain); one
 * process evaluates one move. */
static gboolean
evaluate_moves (FreeBits *fb, GArray *moves, guint first, double *acc, guint *n, GError **error)
{
  guint lo, hi;

  *n = MIN (fb_mpi_get_size (), moves->len - first);
  fb_mpi_block (*n, fb_mpi_get_rank (), &lo, &hi);
  for (guint j = 0; j < *n; j++)
    acc[j] = 0.0;
  for (guint j = lo; j < hi; j++)
    {
      Move *m = &g_array_index (moves, Move, first + j);
      guint old = m->is_weight ? fb_precision_config_get_weight_bits (fb->config, m->index)
                               : fb_precision_config_get_tensor_bits (fb->config, m->index);
      gboolean ok;

      set_bits (fb, m->is_weight, m->index, m->bits);
      ok = fb_accuracy_oracle_evaluate (fb->opt->oracle, fb->config, fb->opt->limit, fb->cancellable, &acc[j], error);
      set_bits (fb, m->is_weight, m->index, old);
      if (!ok)
        return FALSE;
    }
  fb_mpi_allgather_blocks (acc, *n, sizeof (double));
  return TRUE;
}

/* The lowering step; *@acc is the current accuracy (in: after the raise step). */
static gboolean
lower_step (FreeBits *fb, GArray **tensor_layers, GArray *one_per_layer, double *acc,
            FbSearchProgressFunc progress_func, gpointer user_data, GError **error)
{
  FbPrecisionConfig *c = fb->config;
  FbNetwork *net = fb_precision_config_get_network (c);
  const FbFreeBitsOptions *opt = fb->opt;
  const FbSearchConstraints *cons = fb->constraints;
  double reference = *acc;
  double floor_acc = reference - opt->max_accuracy_drop;
  g_autoptr(GHashTable) vetoed = g_hash_table_new (NULL, NULL);
  gboolean accepted = TRUE;
  guint evaluations = 0;

  if (cons && !isnan (cons->min_accuracy))
    floor_acc = MAX (floor_acc, cons->min_accuracy);
  while (accepted)
    {
      g_autoptr(GArray) moves = g_array_new (FALSE, FALSE, sizeof (Move));
      g_autofree double *batch = g_new0 (double, fb_mpi_get_size ());
      guint batch_first = 0, batch_n = 0;

      accepted = FALSE;
      for (guint i = 0; i < fb_network_get_n_layers (net); i++)
        {
          const FbLayer *l = fb_network_get_layer (net, i);
          if (fb_layer_is_weighted (l) && !fb_precision_config_get_weight_pinned (c, i))
            add_move (fb, moves, vetoed, TRUE, i,
                      g_array_index (one_per_layer, GArray *, i));
          if (fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION &&
              !fb_precision_config_get_tensor_pinned (c, l->output) && tensor_layers[l->output])
            add_move (fb, moves, vetoed, FALSE, l->output, tensor_layers[l->output]);
        }
      g_array_sort (moves, move_cmp);
      for (guint k = 0; k < moves->len && !accepted; k++)
        {
          Move *m = &g_array_index (moves, Move, k);
          guint old = m->is_weight ? fb_precision_config_get_weight_bits (c, m->index)
                                   : fb_precision_config_get_tensor_bits (c, m->index);
          g_autofree char *base = NULL;
          g_autofree char *msg = NULL;
          FbFreeBitsChange *ch;
          double a;

          if (progress_func)
            {
              g_autofree char *p = g_strdup_printf ("lowering: %u accuracy evaluations", evaluations);
              progress_func (0.99, p, user_data);
            }
          if (k >= batch_first + batch_n)
            {
              batch_first = k;
              if (!evaluate_moves (fb, moves, k, batch, &batch_n, error))
                return FALSE;
            }
          a = batch[k - batch_first];
          set_bits (fb, m->is_weight, m->index, m->bits);
          evaluations++;
          base = describe (fb, m->is_weight, m->index, m->layers, old, m->bits, m->before, m->after);
          if (a >= floor_acc)
            {
              msg = g_strdup_printf ("%s; accuracy %.2f%%→%.2f%% (%.2f pt below the reference %.2f%%, "
                                     "allowed %.2f pt)", base, 100 * *acc, 100 * a, 100 * (reference - a),
                                     100 * reference, 100 * (reference - floor_acc));
              accepted = TRUE;
            }
          else
            {
              msg = g_strdup_printf ("not lowered: %s; accuracy would be %.2f%% (%.2f pt below the reference "
                                     "%.2f%%, allowed %.2f pt)", base, 100 * a, 100 * (reference - a),
                                     100 * reference, 100 * (reference - floor_acc));
              set_bits (fb, m->is_weight, m->index, old);
              g_hash_table_add (vetoed, veto_key (m->is_weight, m->index, m->bits));
            }
          ch = fb_free_bits_change_new (m->is_weight, m->index, old, m->bits, m->before, m->after, msg);
          ch->accuracy_before = *acc;
          ch->accuracy_after = a;
          ch->applied = accepted;
          g_ptr_array_add (fb->changes, ch);
          if (accepted)
            *acc = a;
        }
    }
  return TRUE;
}

static gboolean
check_options (FbNetwork *net, const FbFreeBitsOptions *options, GError **error)
{
  if (options->oracle && fb_accuracy_oracle_get_network (options->oracle) != net &&
      g_strcmp0 (fb_network_get_sha256 (fb_accuracy_oracle_get_network (options->oracle)),
                 fb_network_get_sha256 (net)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("the accuracy oracle belongs to another network"));
      return FALSE;
    }
  if (!(options->max_accuracy_drop >= 0 && options->max_accuracy_drop <= 1) || !(options->min_gain >= 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("max accuracy drop must be a fraction in [0, 1] and the minimum gain >= 0"));
      return FALSE;
    }
  if (!(options->tolerance >= 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("tolerance must be a fraction >= 0, got %g"), options->tolerance);
      return FALSE;
    }
  return TRUE;
}

/* Per activation tensor, the layers whose key holds its bits: its producer,
 * its consumers, and through a pool (whose output shares the bits) the
 * pool's consumers; sorted. NULL where none. Free with tensor_layers_free(). */
static GArray **
tensor_layers_new (FbNetwork *net)
{
  guint n_tensors = fb_network_get_n_tensors (net);
  GArray **tensor_layers = g_new0 (GArray *, n_tensors);

  for (guint t = 0; t < n_tensors; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (net, t);
      guint src = ten->bits_source;

      if (ten->kind != FB_TENSOR_ACTIVATION && ten->kind != FB_TENSOR_POOLED)
        continue;
      if (fb_network_get_tensor (net, src)->kind != FB_TENSOR_ACTIVATION)
        continue;
      if (tensor_layers[src] == NULL)
        tensor_layers[src] = g_array_new (FALSE, FALSE, sizeof (guint));
      if (ten->producer >= 0)
        add_unique (tensor_layers[src], ten->producer);
      for (guint k = 0; k < ten->n_consumers; k++)
        add_unique (tensor_layers[src], ten->consumers[k]);
    }
  for (guint t = 0; t < n_tensors; t++)
    if (tensor_layers[t])
      g_array_sort (tensor_layers[t], cmp_uint);
  return tensor_layers;
}

static void
tensor_layers_free (GArray **tensor_layers, guint n_tensors)
{
  for (guint t = 0; t < n_tensors; t++)
    if (tensor_layers[t])
      g_array_unref (tensor_layers[t]);
  g_free (tensor_layers);
}

/* The raise step: passes over the layers until no free bit is left. */
static gboolean
raise_passes (FreeBits *fb, GArray **tensor_layers, FbSearchProgressFunc progress_func, gpointer user_data,
              GError **error)
{
  FbNetwork *net = fb_precision_config_get_network (fb->config);
  guint n_layers = fb_network_get_n_layers (net);
  g_autoptr(GArray) one = g_array_new (FALSE, FALSE, sizeof (guint));
  gboolean changed = TRUE;
  guint pass = 0;

  g_array_set_size (one, 1);
  while (changed)
    {
      changed = FALSE;
      pass++;
      for (guint i = 0; i < n_layers; i++)
        {
          const FbLayer *l = fb_network_get_layer (net, i);

          if (g_cancellable_set_error_if_cancelled (fb->cancellable, error))
            return FALSE;
          if (progress_func && (i % 8) == 0)
            {
              g_autofree char *msg = g_strdup_printf ("pass %u, layer %s", pass, l->name);
              /* Passes are few (bits only go up); the bar restarts per pass. */
              progress_func ((double) i / n_layers, msg, user_data);
            }
          if (fb_layer_is_weighted (l) && !fb_precision_config_get_weight_pinned (fb->config, i))
            {
              g_array_index (one, guint, 0) = i;
              changed |= try_raise (fb, TRUE, i, one);
            }
          if (fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION &&
              !fb_precision_config_get_tensor_pinned (fb->config, l->output) && tensor_layers[l->output])
            changed |= try_raise (fb, FALSE, l->output, tensor_layers[l->output]);
        }
    }
  return TRUE;
}

/* The lowering step with the oracle; records its settings in @prov. */
static gboolean
run_lowering (FreeBits *fb, GArray **tensor_layers, JsonObject *prov, double *accuracy,
              FbSearchProgressFunc progress_func, gpointer user_data, GError **error)
{
  const FbFreeBitsOptions *options = fb->opt;
  guint n_layers = fb_network_get_n_layers (fb_precision_config_get_network (fb->config));
  /* One-element layer lists for weight moves, built once. */
  g_autoptr(GPtrArray) one_per_layer = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr(GArray) lists = g_array_new (FALSE, TRUE, sizeof (GArray *));
  double reference;

  g_array_set_size (lists, n_layers);
  for (guint i = 0; i < n_layers; i++)
    {
      GArray *a = g_array_new (FALSE, FALSE, sizeof (guint));
      g_array_append_val (a, i);
      g_ptr_array_add (one_per_layer, a);
      g_array_index (lists, GArray *, i) = a;
    }
  if (!fb_accuracy_oracle_evaluate (options->oracle, fb->config, options->limit, fb->cancellable, accuracy, error))
    return FALSE;
  reference = *accuracy;
  if (!lower_step (fb, tensor_layers, lists, accuracy, progress_func, user_data, error))
    return FALSE;
  json_object_set_string_member (prov, "oracle", fb_accuracy_oracle_get_name (options->oracle));
  json_object_set_int_member (prov, "accuracy_limit", options->limit);
  json_object_set_double_member (prov, "reference_accuracy", reference);
  json_object_set_double_member (prov, "max_accuracy_drop", options->max_accuracy_drop);
  json_object_set_double_member (prov, "min_gain", options->min_gain);
  return TRUE;
}

gboolean
fb_search_free_bits (FbPrecisionConfig *start, FbLatencyTable *table, const FbFreeBitsOptions *options,
                     const FbSearchConstraints *constraints, FbSearchCandidateFunc candidate_func,
                     FbSearchProgressFunc progress_func, gpointer user_data,
                     GCancellable *cancellable, GPtrArray **out_changes,
                     FbCandidate **out_result, GError **error)
{
  FbNetwork *net = fb_precision_config_get_network (start);
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_copy (start);
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_free_bits_change_free);
  g_autoptr(FbCandidate) cand = NULL;
  g_autoptr(JsonObject) prov = json_object_new ();
  GArray **tensor_layers = NULL;
  FreeBits fb = { 0 };
  FbFreeBitsOptions defaults;
  FbMetrics m0;
  gboolean ok = FALSE;
  double accuracy = NAN;
  guint applied = 0;

  g_return_val_if_fail (table != NULL, FALSE);
  fb_free_bits_options_init (&defaults);
  if (options == NULL)
    options = &defaults;
  if (!check_options (net, options, error))
    return FALSE;
  /* Fails early, naming the layer and key, if the start config is not in the table. */
  if (!fb_metrics_compute (start, table, &m0, NULL, error))
    return FALSE;

  tensor_layers = tensor_layers_new (net);
  fb.config = config;
  fb.table = table;
  fb.tolerance = options->tolerance;
  fb.constraints = constraints;
  fb.tensor_layers = tensor_layers;
  fb.changes = changes;
  fb.unit = fb_latency_unit_to_string (fb_latency_table_get_unit (table));
  fb.opt = options;
  fb.cancellable = cancellable;
  if (!raise_passes (&fb, tensor_layers, progress_func, user_data, error))
    goto out;
  if (options->oracle && !run_lowering (&fb, tensor_layers, prov, &accuracy, progress_func, user_data, error))
    goto out;

  for (guint k = 0; k < changes->len; k++)
    applied += ((FbFreeBitsChange *) changes->pdata[k])->applied;
  json_object_set_string_member (prov, "method", "free-bits");
  json_object_set_string_member (prov, "target", fb_latency_table_get_target (table));
  json_object_set_double_member (prov, "tolerance", options->tolerance);
  json_object_set_int_member (prov, "changes", applied);
  fb_precision_config_set_provenance (config, prov);
  cand = fb_candidate_new_evaluated (config, table, accuracy, "free-bits", prov, error);
  if (cand == NULL)
    goto out;
  if (candidate_func && fb_search_constraints_check (constraints, fb_candidate_get_metrics (cand), accuracy))
    candidate_func (cand, user_data);
  if (progress_func)
    progress_func (1.0, "done", user_data);
  if (out_changes)
    *out_changes = g_steal_pointer (&changes);
  if (out_result)
    *out_result = g_steal_pointer (&cand);
  ok = TRUE;

out:
  tensor_layers_free (tensor_layers, fb_network_get_n_tensors (net));
  return ok;
}
