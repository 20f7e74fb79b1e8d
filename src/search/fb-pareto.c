/* fb-pareto.c — exact Pareto front by multi-objective DP over the layer sequence.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-pareto.h"

#define N_QTY 4          /* tracked additive quantities: latency, size, BOPs, accuracy proxy */
#define MAX_OPEN 40      /* open tensors per state: 3^40 < 2^64 */
#define CODE_LOGITS 3    /* bit codes: 8 → 0, 4 → 1, 2 → 2, 32 → 3 */

static const guint code_bits[4] = { 8, 4, 2, 32 };
static const char *qty_names[N_QTY] = { "latency", "size", "bops", "accuracy" };

static guint
bits_code (guint bits)
{
  switch (bits)
    {
    case 4: return 1;
    case 2: return 2;
    case 32: return CODE_LOGITS;
    default: return 0;   /* 8, and 0 (no weights) */
    }
}

typedef guint8 Opts[3];   /* allowed bit codes of one entry */

typedef struct {
  double  v[N_QTY];
  gint32  parent;        /* index in the previous layer's nodes, -1 for the root */
  guint8  w_code;        /* this layer's choices */
  guint8  o_code;
} Node;

/* What backtracking needs of a kept node, stored for every layer (the values
 * only for the previous and current layer: writing fresh memory page-faults). */
typedef guint32 Back;   /* parent index << 4 | w_code << 2 | o_code */
#define BACK_MAX_NODES (1u << 28)
#define BACK_PARENT(b) ((gint32) ((b) >> 4))
#define BACK_W(b)      (((b) >> 2) & 3)
#define BACK_O(b)      ((b) & 3)

/* One (source state, choice) transition: the source's front shifted by @d. */
typedef struct {
  guint   src;           /* index of the source state */
  double  d[N_QTY];
  guint8  w_code, o_code;
} Run;

typedef struct {
  guint64 key;
  GArray *runs;          /* Run */
  guint   first, n_kept; /* survivors: a run of the layer's node array */
} State;

typedef struct {
  FbNetwork *net;
  guint      n_layers, n_tensors;
  int       *var_of;         /* tensor → bits variable (an activation tensor) or -1 */
  guint     *var_last;       /* var → last layer reading it (directly or through a pool) */
  Opts      *opts;           /* per activation tensor */
  guint     *n_opts;
  Opts      *wopts;          /* per layer */
  guint     *n_wopts;
  double    *lat;            /* [layer][a][m][o] codes 0..3; INFINITY = not runnable */
  GArray   **open;           /* per step i = 0..L: open vars before layer i, ascending */
  GArray   **alive;          /* per layer: tensors alive while it runs */
  guint64   *tbytes;         /* [tensor][code] */
  guint      dims[N_QTY], n_dims;
  guint      odims[N_QTY], n_odims;
  double     epsilon;
} Dp;

#define LAT(dp, i, a, m, o) ((dp)->lat[(((gsize) (i) * 4 + (a)) * 4 + (m)) * 4 + (o)])

gboolean
fb_pareto_objectives_parse (const char *text, FbParetoObjectives *out, GError **error)
{
  g_auto(GStrv) words = g_strsplit (text, ",", -1);
  FbParetoObjectives mask = 0;

  for (guint i = 0; words[i]; i++)
    {
      const char *w = g_strstrip (words[i]);
      guint q;
      for (q = 0; q < N_QTY; q++)
        if (g_str_equal (w, qty_names[q]))
          break;
      if (q == N_QTY)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("unknown objective \"%s\" (use latency, size, bops, accuracy)"), w);
          return FALSE;
        }
      mask |= 1u << q;
    }
  if (mask == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("no objective given"));
      return FALSE;
    }
  *out = mask;
  return TRUE;
}

char *
fb_pareto_objectives_to_string (FbParetoObjectives objectives)
{
  GString *s = g_string_new (NULL);

  for (guint q = 0; q < N_QTY; q++)
    if (objectives & (1u << q))
      g_string_append_printf (s, "%s%s", s->len ? "," : "", qty_names[q]);
  return g_string_free (s, FALSE);
}

guint
fb_pareto_objectives_count (FbParetoObjectives objectives)
{
  guint n = 0;

  for (guint q = 0; q < N_QTY; q++)
    n += (objectives >> q) & 1;
  return n;
}

typedef struct {
  const guint *dims;
  guint        n;
} SortCtx;

/* Lexicographic on the pruning dims, then on the choices so the result does
 * not depend on the sort's order among equal values. */
static gint
node_cmp (gconstpointer a, gconstpointer b, gpointer data)
{
  const Node *x = a, *y = b;
  const SortCtx *ctx = data;

  for (guint k = 0; k < ctx->n; k++)
    if (x->v[ctx->dims[k]] != y->v[ctx->dims[k]])
      return x->v[ctx->dims[k]] < y->v[ctx->dims[k]] ? -1 : 1;
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  if (x->w_code != y->w_code)
    return x->w_code < y->w_code ? -1 : 1;
  return (int) x->o_code - (int) y->o_code;
}

static int
double_cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Three dims, nodes sorted on them: a node is dominated iff an earlier kept one
 * has d1 ≤ and d2 ≤ (each within (1 + ε)); earlier ones already have d0 ≤. A
 * Fenwick tree over the ranks of d1 holds the least d2 kept so far, so each
 * query is a prefix minimum: O(n log n) instead of O(n · kept). */
static guint
prune_3d (Node *nodes, guint n, const guint *dims, double eps)
{
  g_autofree double *keys = g_new (double, n);
  g_autofree double *fw = NULL;
  guint m = 0, kept = 0;

  for (guint k = 0; k < n; k++)
    keys[k] = nodes[k].v[dims[1]];
  qsort (keys, n, sizeof (double), double_cmp);
  for (guint k = 0; k < n; k++)
    if (m == 0 || keys[k] != keys[m - 1])
      keys[m++] = keys[k];
  fw = g_new (double, m + 1);
  for (guint k = 0; k <= m; k++)
    fw[k] = INFINITY;
  for (guint k = 0; k < n; k++)
    {
      double x = nodes[k].v[dims[1]] * (1.0 + eps), y = nodes[k].v[dims[2]] * (1.0 + eps), q = INFINITY;
      guint lo = 0, hi = m;

      /* r = number of keys ≤ x: the prefix to query. */
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          if (keys[mid] <= x)
            lo = mid + 1;
          else
            hi = mid;
        }
      for (guint i = lo; i > 0; i -= i & -i)
        q = MIN (q, fw[i]);
      if (q <= y)
        continue;
      /* Keep it: insert at the rank of its own d1. */
      lo = 0, hi = m;
      while (lo < hi)
        {
          guint mid = lo + (hi - lo) / 2;
          if (keys[mid] < nodes[k].v[dims[1]])
            lo = mid + 1;
          else
            hi = mid;
        }
      for (guint i = lo + 1; i <= m; i += i & -i)
        fw[i] = MIN (fw[i], nodes[k].v[dims[2]]);
      nodes[kept++] = nodes[k];
    }
  return kept;
}

/* Any number of dims: keeps the non-dominated nodes of @nodes (sorted in place);
 * returns how many, moved to the front. Equal vectors count as dominated: one
 * survives. */
static guint
prune (Node *nodes, guint n, const guint *dims, guint nd, double eps)
{
  SortCtx ctx = { dims, nd };
  guint kept = 0;

  if (n == 0)
    return 0;
  g_qsort_with_data (nodes, n, sizeof (Node), node_cmp, &ctx);
  if (nd == 1)
    return 1;
  if (nd == 2)
    {
      double best = INFINITY;
      for (guint k = 0; k < n; k++)
        if (nodes[k].v[dims[1]] < best)
          {
            best = nodes[k].v[dims[1]];
            nodes[kept++] = nodes[k];
          }
      return kept;
    }
  if (nd == 3)
    return prune_3d (nodes, n, dims, eps);
  for (guint k = 0; k < n; k++)
    {
      gboolean dominated = FALSE;
      for (guint j = 0; j < kept && !dominated; j++)
        {
          gboolean all = TRUE;
          for (guint d = 0; d < nd && all; d++)
            all = nodes[j].v[dims[d]] <= nodes[k].v[dims[d]] * (1.0 + eps);
          dominated = all;
        }
      if (!dominated)
        nodes[kept++] = nodes[k];
    }
  return kept;
}

/* ---- two dims: merging shifted fronts ---- */

/* A merged front is kept as segments: stretches [lo, hi) of one run (a source
 * front shifted by the run's vector), in front order. Merging two fronts then
 * costs per stretch (binary searches at each alternation), not per node; the
 * nodes are written once, when a state's front is final. */
typedef struct {
  guint32 run;           /* index in the target state's runs */
  guint32 lo, hi;        /* node indices in the previous layer's array */
} Seg;

typedef struct {
  const Node *src;       /* previous layer's nodes */
  const Run  *runs;
  guint       d0, d1;
} MergeCtx;

static inline double
val (const MergeCtx *c, guint32 run, guint j, guint d)
{
  return c->src[j].v[d] + c->runs[run].d[d];
}

/* First j in [lo, hi) of @run whose v1 is < @bound (v1 falls along a front). */
static inline guint
first_below (const MergeCtx *c, guint32 run, guint lo, guint hi, double bound)
{
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      if (val (c, run, mid, c->d1) < bound)
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo;
}

/* First j in [lo, hi) of @run that does not come before (x0, x1) in merge order:
 * with @strict, "before" is (v0, v1) < (x0, x1) lexicographically, else ≤. */
static inline guint
first_after (const MergeCtx *c, guint32 run, guint lo, guint hi, double x0, double x1, gboolean strict)
{
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      double m0 = val (c, run, mid, c->d0), m1 = val (c, run, mid, c->d1);
      gboolean before = m0 < x0 || (m0 == x0 && (strict ? m1 < x1 : m1 <= x1));
      if (before)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static inline void
emit (GArray *out, guint32 run, guint lo, guint hi)
{
  Seg *last = out->len ? &g_array_index (out, Seg, out->len - 1) : NULL;

  if (lo >= hi)
    return;
  if (last && last->run == run && last->hi == lo)
    last->hi = hi;
  else
    {
      Seg s = { run, lo, hi };
      g_array_append_val (out, s);
    }
}

/* Merges the front @acc (segments) with run @ry over [y, yhi) into @out (cleared
 * first). Ties go to @acc. Both inputs are fronts sorted by (v0, v1), so a
 * dominated node starts a dominated stretch (skipped by binary search) and a kept
 * node keeps every following node of its input up to the other input's head. */
static void
merge_segs (const MergeCtx *c, GArray *acc, guint32 ry, guint y, guint yhi, GArray *out)
{
  const Seg *A = (const Seg *) acc->data;
  guint na = acc->len, k = 0, x = na ? A[0].lo : 0;
  double best = INFINITY;

  g_array_set_size (out, 0);
  while (k < na && y < yhi)
    {
      double a0 = val (c, A[k].run, x, c->d0), a1 = val (c, A[k].run, x, c->d1);
      double y0 = val (c, ry, y, c->d0), y1 = val (c, ry, y, c->d1);

      if (a0 < y0 || (a0 == y0 && a1 <= y1))
        {
          if (!(a1 < best))
            {
              /* Skip whole dominated segments, then the dominated head of one. */
              while (k < na && !(val (c, A[k].run, A[k].hi - 1, c->d1) < best))
                if (++k < na)
                  x = A[k].lo;
              if (k < na)
                x = first_below (c, A[k].run, x, A[k].hi, best);
              continue;
            }
          for (;;)
            {
              guint e = A[k].hi;
              double l0 = val (c, A[k].run, e - 1, c->d0), l1 = val (c, A[k].run, e - 1, c->d1);
              if (l0 < y0 || (l0 == y0 && l1 <= y1))
                {
                  emit (out, A[k].run, x, e);
                  best = l1;
                  if (++k == na)
                    break;
                  x = A[k].lo;
                  a0 = val (c, A[k].run, x, c->d0);
                  a1 = val (c, A[k].run, x, c->d1);
                  if (!(a0 < y0 || (a0 == y0 && a1 <= y1)))
                    break;
                }
              else
                {
                  guint end = first_after (c, A[k].run, x + 1, e, y0, y1, FALSE);
                  emit (out, A[k].run, x, end);
                  best = val (c, A[k].run, end - 1, c->d1);
                  x = end;
                  break;
                }
            }
        }
      else
        {
          guint end;
          if (!(y1 < best))
            {
              y = first_below (c, ry, y, yhi, best);
              continue;
            }
          end = first_after (c, ry, y + 1, yhi, a0, a1, TRUE);
          emit (out, ry, y, end);
          best = val (c, ry, end - 1, c->d1);
          y = end;
        }
    }
  if (k < na)
    {
      while (k < na && !(val (c, A[k].run, A[k].hi - 1, c->d1) < best))
        if (++k < na)
          x = A[k].lo;
      if (k < na)
        {
          emit (out, A[k].run, first_below (c, A[k].run, x, A[k].hi, best), A[k].hi);
          for (k++; k < na; k++)
            emit (out, A[k].run, A[k].lo, A[k].hi);
        }
    }
  else if (y < yhi)
    emit (out, ry, first_below (c, ry, y, yhi, best), yhi);
}

static void
dp_clear (Dp *dp)
{
  g_free (dp->var_of);
  g_free (dp->var_last);
  g_free (dp->opts);
  g_free (dp->n_opts);
  g_free (dp->wopts);
  g_free (dp->n_wopts);
  g_free (dp->lat);
  g_free (dp->tbytes);
  if (dp->open)
    for (guint i = 0; i <= dp->n_layers; i++)
      g_array_unref (dp->open[i]);
  g_free (dp->open);
  if (dp->alive)
    for (guint i = 0; i < dp->n_layers; i++)
      g_array_unref (dp->alive[i]);
  g_free (dp->alive);
}

/* Bits of tensor @t given the current var bits (codes). */
static guint
tensor_code (Dp *dp, const guint8 *var_code, guint t)
{
  const FbTensor *ten = fb_network_get_tensor (dp->net, t);

  if (dp->var_of[t] >= 0)
    return var_code[dp->var_of[t]];
  return ten->kind == FB_TENSOR_LOGITS ? CODE_LOGITS : 0;
}

/* The per-layer latency of every combination of bits, through the table's
 * own key logic (@scratch: a config holding the pins, changed here). */
static gboolean
dp_fill_latency (Dp *dp, FbLatencyTable *table, FbPrecisionConfig *scratch, GError **error)
{
  FbNetwork *net = dp->net;

  for (guint i = 0; i < dp->n_layers; i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      g_auto(GStrv) keys = fb_latency_table_get_keys (table, l->name);
      int va = dp->var_of[l->inputs[0]];
      int vm = l->op == FB_OP_ADD ? dp->var_of[l->inputs[1]] : -1;
      int vo = fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION ? (int) l->output : -1;
      guint na = va >= 0 ? dp->n_opts[va] : 1;
      guint nm = l->op == FB_OP_ADD ? (vm >= 0 ? dp->n_opts[vm] : 1) : dp->n_wopts[i];
      guint no = vo >= 0 ? dp->n_opts[vo] : 1;

      /* A layer the table lacks altogether is the table's fault (as metrics and
       * uniform say), not a front of no candidates; single missing keys only
       * rule those precisions out. */
      if (keys == NULL || keys[0] == NULL)
        return fb_latency_table_layer_cost (table, scratch, i, &(double) { 0 }, error);

      for (guint ia = 0; ia < na; ia++)
        for (guint im = 0; im < nm; im++)
          for (guint io = 0; io < no; io++)
            {
              guint a = va >= 0 ? dp->opts[va][ia] : 0;
              guint m, o;
              double cost;

              if (va >= 0)
                fb_precision_config_set_tensor_bits (scratch, va, code_bits[a]);
              if (l->op == FB_OP_ADD)
                {
                  m = vm >= 0 ? dp->opts[vm][im] : 0;
                  if (vm >= 0)
                    fb_precision_config_set_tensor_bits (scratch, vm, code_bits[m]);
                  if (vm == va && m != a)
                    continue;   /* x + x: both inputs are one tensor */
                }
              else
                {
                  m = dp->wopts[i][im];
                  if (fb_layer_is_weighted (l))
                    fb_precision_config_set_weight_bits (scratch, i, code_bits[m]);
                }
              if (vo >= 0)
                {
                  o = dp->opts[vo][io];
                  fb_precision_config_set_tensor_bits (scratch, vo, code_bits[o]);
                }
              else
                o = bits_code (fb_precision_config_get_tensor_bits (scratch, l->output));
              if (fb_latency_table_layer_cost (table, scratch, i, &cost, NULL))
                LAT (dp, i, a, m, o) = cost;
            }
    }
  return TRUE;
}

static gboolean
dp_setup (Dp *dp, FbLatencyTable *table, FbPrecisionConfig *start, GError **error)
{
  FbNetwork *net = dp->net;
  guint L = dp->n_layers, T = dp->n_tensors;
  g_autoptr(FbPrecisionConfig) scratch = start ? fb_precision_config_copy (start) : fb_precision_config_new (net);

  dp->var_of = g_new (int, T);
  dp->var_last = g_new0 (guint, T);
  dp->opts = g_new0 (Opts, T);
  dp->n_opts = g_new0 (guint, T);
  dp->wopts = g_new0 (Opts, L);
  dp->n_wopts = g_new0 (guint, L);
  dp->tbytes = g_new0 (guint64, (gsize) T * 4);

  for (guint t = 0; t < T; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (net, t);
      guint src = ten->bits_source;

      dp->var_of[t] = fb_network_get_tensor (net, src)->kind == FB_TENSOR_ACTIVATION ? (int) src : -1;
      for (guint c = 0; c < 4; c++)
        dp->tbytes[t * 4 + c] = fb_metrics_tensor_bytes (ten, code_bits[c]);
      if (ten->kind == FB_TENSOR_ACTIVATION)
        {
          gboolean pinned = start && fb_precision_config_get_tensor_pinned (start, t);
          for (guint c = 0; c < 3; c++)
            if (fb_network_tensor_admits_bits (net, t, code_bits[c]) &&
                (!pinned || fb_precision_config_get_tensor_bits (start, t) == code_bits[c]))
              dp->opts[t][dp->n_opts[t]++] = c;
          if (dp->n_opts[t] == 0)
            {
              g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("tensor \"%s\" admits no bit-width"), ten->name);
              return FALSE;
            }
        }
    }
  for (guint t = 0; t < T; t++)
    if (dp->var_of[t] >= 0)
      {
        const FbTensor *ten = fb_network_get_tensor (net, t);
        guint v = dp->var_of[t];
        dp->var_last[v] = MAX (dp->var_last[v], ten->last_use);
      }

  for (guint i = 0; i < L; i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      if (!fb_layer_is_weighted (l))
        {
          dp->wopts[i][0] = 0;
          dp->n_wopts[i] = 1;
          continue;
        }
      gboolean pinned = start && fb_precision_config_get_weight_pinned (start, i);
      for (guint c = 0; c < 3; c++)
        if (fb_network_layer_admits_weight_bits (net, i, code_bits[c]) &&
            (!pinned || fb_precision_config_get_weight_bits (start, i) == code_bits[c]))
          dp->wopts[i][dp->n_wopts[i]++] = c;
      if (dp->n_wopts[i] == 0)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("layer \"%s\" admits no weight bit-width"), l->name);
          return FALSE;
        }
    }

  dp->open = g_new0 (GArray *, L + 1);
  for (guint i = 0; i <= L; i++)
    {
      dp->open[i] = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint t = 0; t < T; t++)
        {
          const FbTensor *ten = fb_network_get_tensor (net, t);
          if (ten->kind == FB_TENSOR_ACTIVATION && ten->producer < (int) i && dp->var_last[t] >= i)
            g_array_append_val (dp->open[i], t);
        }
      if (dp->open[i]->len > MAX_OPEN)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                       _("%u tensors are alive at once before layer %u; the DP handles at most %u"),
                       dp->open[i]->len, i, MAX_OPEN);
          return FALSE;
        }
    }
  dp->alive = g_new0 (GArray *, L);
  for (guint i = 0; i < L; i++)
    {
      dp->alive[i] = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint t = 0; t < T; t++)
        {
          const FbTensor *ten = fb_network_get_tensor (net, t);
          /* Same rule as fb_metrics_compute. */
          if (ten->producer <= (int) i && ten->last_use >= i)
            g_array_append_val (dp->alive[i], t);
        }
    }

  /* Per-layer latency of every combination, through the table's own key logic. */
  dp->lat = g_new (double, (gsize) L * 64);
  for (gsize k = 0; k < (gsize) L * 64; k++)
    dp->lat[k] = INFINITY;
  if (table == NULL)
    return TRUE;
  return dp_fill_latency (dp, table, scratch, error);
}

static guint64
encode (Dp *dp, guint step, const guint8 *var_code)
{
  GArray *open = dp->open[step];
  guint64 key = 0;

  for (guint k = 0; k < open->len; k++)
    key = key * 3 + var_code[g_array_index (open, guint, k)];
  return key;
}

static void
decode (Dp *dp, guint step, guint64 key, guint8 *var_code)
{
  GArray *open = dp->open[step];

  for (guint k = open->len; k-- > 0;)
    {
      var_code[g_array_index (open, guint, k)] = key % 3;
      key /= 3;
    }
}

static void
state_free (gpointer p)
{
  State *s = p;
  if (s->runs)
    g_array_unref (s->runs);
  g_free (s);
}

static gint
state_cmp (gconstpointer a, gconstpointer b)
{
  const State *x = *(State * const *) a, *y = *(State * const *) b;
  return x->key < y->key ? -1 : x->key > y->key;
}

/* Range [*lo, *hi) of a source front (sorted on d0 ascending, d1 descending)
 * whose shifted values fit the budgets on the two dims. */
static void
feasible_range (const Node *f, guint lo, guint hi, const Run *r, guint d0, guint d1,
                double lim0, double lim1, guint *out_lo, guint *out_hi)
{
  guint a = lo, b = hi;

  if (isfinite (lim0))
    {
      guint l = lo, h = hi;
      while (l < h)
        {
          guint mid = l + (h - l) / 2;
          if (f[mid].v[d0] + r->d[d0] <= lim0)
            l = mid + 1;
          else
            h = mid;
        }
      b = l;
    }
  if (isfinite (lim1))
    {
      guint l = lo, h = b;
      while (l < h)
        {
          guint mid = l + (h - l) / 2;
          if (f[mid].v[d1] + r->d[d1] > lim1)
            l = mid + 1;
          else
            h = mid;
        }
      a = l;
    }
  *out_lo = a;
  *out_hi = MAX (a, b);
}

static FbCandidate *
build_candidate (Dp *dp, GPtrArray *arena, const Node *last, gint32 ni, FbPrecisionConfig *start, FbLatencyTable *table,
                 FbSensitivity *sens, guint8 *var_code, const char *method, JsonObject *shared_prov,
                 guint64 macs)
{
  FbNetwork *net = dp->net;
  g_autoptr(FbPrecisionConfig) c = start ? fb_precision_config_copy (start) : fb_precision_config_new (net);
  g_autoptr(JsonObject) own = NULL;
  FbMetrics m = { 0 };

  for (guint i = dp->n_layers; i-- > 0;)
    {
      Back n = g_array_index ((GArray *) g_ptr_array_index (arena, i + 1), Back, ni);
      const FbLayer *l = fb_network_get_layer (net, i);
      if (fb_layer_is_weighted (l))
        fb_precision_config_set_weight_bits (c, i, code_bits[BACK_W (n)]);
      if (fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION)
        {
          fb_precision_config_set_tensor_bits (c, l->output, code_bits[BACK_O (n)]);
          var_code[l->output] = BACK_O (n);
        }
      ni = BACK_PARENT (n);
    }
  /* The DP's sums are the metrics (same terms, same order as fb_metrics_compute);
   * only the peak RAM, a max, is recomputed from the chosen bits. */
  m.macs = macs;
  m.latency = table ? last->v[0] : NAN;
  m.size_bytes = (guint64) last->v[1];
  m.bops = (guint64) last->v[2];
  for (guint i = 0; i < dp->n_layers; i++)
    {
      guint64 live = 0;
      for (guint k = 0; k < dp->alive[i]->len; k++)
        {
          guint t = g_array_index (dp->alive[i], guint, k);
          live += dp->tbytes[t * 4 + tensor_code (dp, var_code, t)];
        }
      if (live > m.peak_activation_bytes)
        {
          m.peak_activation_bytes = live;
          m.peak_layer = i;
        }
    }
  fb_metrics_set_ram (c, &m);
  if (sens)
    {
      /* Per-candidate provenance: the shared members plus this point's proxy. */
      JsonObjectIter it;
      const char *name;
      JsonNode *node;
      own = json_object_new ();
      json_object_iter_init (&it, shared_prov);
      while (json_object_iter_next (&it, &name, &node))
        json_object_set_member (own, name, json_node_ref (node));
      json_object_set_double_member (own, "accuracy_proxy", last->v[3]);
      json_object_set_double_member (own, "accuracy_estimate",
                                     fb_sensitivity_get_baseline (sens) - last->v[3]);
    }
  fb_precision_config_set_provenance (c, own ? own : shared_prov);
  return fb_candidate_new_take (g_steal_pointer (&c), &m, NAN, method, own ? own : shared_prov);
}

/* One search: the parameters, the DP and its buffers, reused across layers. */
typedef struct {
  const FbParetoParams *p;
  FbSensitivity        *sensitivity;  /* NULL unless accuracy is an objective */
  Dp                    dp;
  /* One Back array per layer (index 0: the root), each allocated once at its
   * final size, kept for the backtracking; node values in two buffers. */
  GPtrArray            *arena;
  GArray               *vals_prev;
  GArray               *vals_cur;
  GArray               *scratch_a;
  GArray               *seg_a;
  GArray               *seg_b;
  GPtrArray            *states;
  guint8               *var_code;
  double                max_lat;
  double                max_size;
  guint64               max_ram;
  FbParetoStats         stats;
} Search;

static void
search_clear (Search *s)
{
  dp_clear (&s->dp);
  g_clear_pointer (&s->arena, g_ptr_array_unref);
  g_clear_pointer (&s->vals_prev, g_array_unref);
  g_clear_pointer (&s->vals_cur, g_array_unref);
  g_clear_pointer (&s->scratch_a, g_array_unref);
  g_clear_pointer (&s->seg_a, g_array_unref);
  g_clear_pointer (&s->seg_b, g_array_unref);
  g_clear_pointer (&s->states, g_ptr_array_unref);
  g_clear_pointer (&s->var_code, g_free);
}

static gboolean
check_params (const FbParetoParams *p, double max_lat, GError **error)
{
  if (p->start && fb_precision_config_get_network (p->start) != p->network)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("start config belongs to another network"));
      return FALSE;
    }
  if (p->table == NULL && ((p->objectives & FB_PARETO_LATENCY) || isfinite (max_lat)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the latency objective or a latency budget needs a latency table"));
      return FALSE;
    }
  if ((p->objectives & FB_PARETO_ACCURACY) && p->sensitivity == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("the accuracy objective needs per-entry sensitivities (an accuracy oracle)"));
      return FALSE;
    }
  if (p->sensitivity && fb_sensitivity_get_network (p->sensitivity) != p->network &&
      g_strcmp0 (fb_network_get_sha256 (fb_sensitivity_get_network (p->sensitivity)),
                 fb_network_get_sha256 (p->network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("sensitivities belong to another network"));
      return FALSE;
    }
  if (p->table && !fb_latency_table_check_network (p->table, p->network, error))
    return FALSE;
  if (!(p->epsilon >= 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("epsilon must be >= 0, got %g"), p->epsilon);
      return FALSE;
    }
  return TRUE;
}

/* The dimensions, the DP's tables and the root state. */
static gboolean
search_init (Search *s, const FbParetoParams *p, GError **error)
{
  Dp *dp = &s->dp;
  const FbSearchConstraints *c = p->constraints;

  s->p = p;
  s->max_lat = c && fb_search_constraints_has_latency (c) ? c->max_latency : INFINITY;
  s->max_size = c && c->max_size ? (double) c->max_size : INFINITY;
  s->max_ram = c ? c->max_ram : 0;
  s->arena = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  s->vals_prev = g_array_new (FALSE, FALSE, sizeof (Node));
  s->vals_cur = g_array_new (FALSE, FALSE, sizeof (Node));
  s->scratch_a = g_array_new (FALSE, FALSE, sizeof (Node));
  s->seg_a = g_array_new (FALSE, FALSE, sizeof (Seg));
  s->seg_b = g_array_new (FALSE, FALSE, sizeof (Seg));
  s->states = g_ptr_array_new_with_free_func (state_free);
  if (!check_params (p, s->max_lat, error))
    return FALSE;
  s->sensitivity = (p->objectives & FB_PARETO_ACCURACY) ? p->sensitivity : NULL;

  dp->net = p->network;
  dp->n_layers = fb_network_get_n_layers (p->network);
  dp->n_tensors = fb_network_get_n_tensors (p->network);
  s->stats.n_layers = dp->n_layers;
  for (guint q = 0; q < N_QTY; q++)
    if (p->objectives & (1u << q))
      dp->odims[dp->n_odims++] = q;
  /* A budgeted quantity that is not an objective still has to take part in
   * dominance, or a cheaper-but-over-budget partial could evict a feasible one. */
  memcpy (dp->dims, dp->odims, sizeof dp->dims);
  dp->n_dims = dp->n_odims;
  if (isfinite (s->max_lat) && !(p->objectives & FB_PARETO_LATENCY))
    dp->dims[dp->n_dims++] = 0;
  if (isfinite (s->max_size) && !(p->objectives & FB_PARETO_SIZE))
    dp->dims[dp->n_dims++] = 1;
  dp->epsilon = dp->n_odims >= 3 ? p->epsilon : 0.0;

  if (!dp_setup (dp, p->table, p->start, error))
    return FALSE;
  s->var_code = g_new0 (guint8, dp->n_tensors);
  {
    State *s0 = g_new0 (State, 1);
    Node root = { { 0, 0, 0, 0 }, -1, 0, 0 };
    Back broot = 0;
    GArray *a0 = g_array_sized_new (FALSE, FALSE, sizeof (Back), 1);

    s0->key = 0;
    s0->first = 0;
    s0->n_kept = 1;
    g_array_append_val (a0, broot);
    g_array_append_val (s->vals_prev, root);
    g_ptr_array_add (s->arena, a0);
    g_ptr_array_add (s->states, s0);
  }
  return TRUE;
}

/* The quantities layer @i adds under one choice of its bits; FALSE when the
 * choice is impossible (no table entry, over the RAM budget). */
static gboolean
choice_cost (Search *s, guint i, guint w, Run *run)
{
  Dp *dp = &s->dp;
  const FbLayer *l = fb_network_get_layer (dp->net, i);
  const guint8 *var_code = s->var_code;
  int vo = fb_network_get_tensor (dp->net, l->output)->kind == FB_TENSOR_ACTIVATION ? (int) l->output : -1;
  guint a = tensor_code (dp, var_code, l->inputs[0]);
  guint m = l->op == FB_OP_ADD ? tensor_code (dp, var_code, l->inputs[1]) : w;
  guint o = tensor_code (dp, var_code, l->output);

  if (s->p->table)
    {
      run->d[0] = LAT (dp, i, a, m, o);
      if (isinf (run->d[0]))
        return FALSE;   /* the table has no entry: the target cannot run it */
    }
  if (fb_layer_is_weighted (l))
    {
      run->d[1] = (double) fb_metrics_weight_bytes (dp->net, i, code_bits[w]);
      run->d[2] = (double) l->macs * code_bits[w] * code_bits[a];
    }
  if (s->sensitivity)
    {
      if (fb_layer_is_weighted (l))
        run->d[3] += fb_sensitivity_get_weight_drop (s->sensitivity, i, code_bits[w]);
      if (vo >= 0)
        run->d[3] += fb_sensitivity_get_tensor_drop (s->sensitivity, vo, code_bits[var_code[vo]]);
    }
  /* The tensors alive at one step are part of the bundle's RAM (arena + kernel scratch), so
   * exceeding the budget here already rules a state out; the exact RAM is known only for a
   * whole config and is checked on each candidate (fb_search_constraints_check). */
  if (s->max_ram > 0)
    {
      guint64 live = 0;
      for (guint k = 0; k < dp->alive[i]->len; k++)
        {
          guint t = g_array_index (dp->alive[i], guint, k);
          live += dp->tbytes[t * 4 + tensor_code (dp, var_code, t)];
        }
      if (live > s->max_ram)
        return FALSE;
    }
  run->o_code = vo >= 0 ? var_code[vo] : 0;
  return TRUE;
}

/* Transitions of layer @i: one run per (source state, choice), grouped by
 * target state into @next (in a fixed order, so node indices do not depend on
 * hashing). */
static GPtrArray *
layer_transitions (Search *s, guint i)
{
  Dp *dp = &s->dp;
  const FbLayer *l = fb_network_get_layer (dp->net, i);
  g_autoptr(GHashTable) next_by_key = g_hash_table_new (g_int64_hash, g_int64_equal);
  GPtrArray *next = g_ptr_array_new_with_free_func (state_free);
  int vo = fb_network_get_tensor (dp->net, l->output)->kind == FB_TENSOR_ACTIVATION ? (int) l->output : -1;
  guint no = vo >= 0 ? dp->n_opts[vo] : 1;

  for (guint si = 0; si < s->states->len; si++)
    {
      State *st = g_ptr_array_index (s->states, si);

      decode (dp, i, st->key, s->var_code);
      for (guint iw = 0; iw < dp->n_wopts[i]; iw++)
        for (guint io = 0; io < no; io++)
          {
            Run run = { si, { 0, 0, 0, 0 }, dp->wopts[i][iw], 0 };
            guint64 key;
            State *ns;

            if (vo >= 0)
              s->var_code[vo] = dp->opts[vo][io];
            if (!choice_cost (s, i, run.w_code, &run))
              continue;
            key = encode (dp, i + 1, s->var_code);
            ns = g_hash_table_lookup (next_by_key, &key);
            if (ns == NULL)
              {
                ns = g_new0 (State, 1);
                ns->key = key;
                ns->runs = g_array_new (FALSE, FALSE, sizeof (Run));
                g_ptr_array_add (next, ns);
                g_hash_table_insert (next_by_key, &ns->key, ns);
              }
            g_array_append_val (ns->runs, run);
          }
    }
  g_ptr_array_sort (next, state_cmp);
  return next;
}

/* Two pruning dims: merge the state's runs (each a sorted, shifted slice of a
 * source front) into its front, written once to @cur. Returns its size. */
static guint
merge_state (Search *s, State *ns, const double *lim, GArray *cur)
{
  const Node *pn_nodes = (const Node *) s->vals_prev->data;
  MergeCtx mc = { pn_nodes, (const Run *) ns->runs->data, s->dp.dims[0], s->dp.dims[1] };
  GArray *acc = s->seg_a, *tmp = s->seg_b, *t;
  guint base, n = 0, n_acc = 0;
  double best = INFINITY;
  Node *o;

  g_array_set_size (acc, 0);
  for (guint r = 0; r < ns->runs->len; r++)
    {
      const Run *run = &g_array_index (ns->runs, Run, r);
      State *src = g_ptr_array_index (s->states, run->src);
      guint lo, hi;

      feasible_range (pn_nodes, src->first, src->first + src->n_kept, run, mc.d0, mc.d1,
                      lim[mc.d0], lim[mc.d1], &lo, &hi);
      s->stats.partials += hi - lo;
      if (lo >= hi)
        continue;
      merge_segs (&mc, acc, r, lo, hi, tmp);
      t = acc, acc = tmp, tmp = t;
    }
  for (guint k = 0; k < acc->len; k++)
    n_acc += g_array_index (acc, Seg, k).hi - g_array_index (acc, Seg, k).lo;
  base = cur->len;
  g_array_set_size (cur, base + n_acc);
  o = &g_array_index (cur, Node, base);
  for (guint k = 0; k < acc->len; k++)
    {
      const Seg *sg = &g_array_index (acc, Seg, k);
      const Run *run = &mc.runs[sg->run];

      for (guint j = sg->lo; j < sg->hi; j++)
        {
          Node *nd = &o[n];
          for (guint q = 0; q < N_QTY; q++)
            nd->v[q] = pn_nodes[j].v[q] + run->d[q];
          nd->parent = (gint32) j;
          nd->w_code = run->w_code;
          nd->o_code = run->o_code;
          /* Exact for integral costs; with fractional ones a shift can
           * round two values into one, so recheck dominance here. */
          if (!(nd->v[mc.d1] < best))
            continue;
          if (n > 0 && o[n - 1].v[mc.d0] == nd->v[mc.d0])
            o[n - 1] = *nd;
          else
            n++;
          best = nd->v[mc.d1];
        }
    }
  g_array_set_size (cur, base + n);
  ns->first = base;
  return n;
}

/* More pruning dims: materialize the state's runs, prune, append to @cur. */
static guint
prune_state (Search *s, State *ns, const guint *pdims, guint pn, GArray *cur)
{
  const Node *pn_nodes = (const Node *) s->vals_prev->data;
  gsize bound = 0;
  guint n_acc = 0;
  Node *buf;

  for (guint r = 0; r < ns->runs->len; r++)
    bound += ((State *) g_ptr_array_index (s->states, g_array_index (ns->runs, Run, r).src))->n_kept;
  if (s->scratch_a->len < bound)
    g_array_set_size (s->scratch_a, bound);   /* reused across states and layers */
  buf = (Node *) s->scratch_a->data;
  for (guint r = 0; r < ns->runs->len; r++)
    {
      const Run *run = &g_array_index (ns->runs, Run, r);
      State *src = g_ptr_array_index (s->states, run->src);

      for (guint k = 0; k < src->n_kept; k++)
        {
          const Node *p = &pn_nodes[src->first + k];
          Node *n = &buf[n_acc];
          for (guint q = 0; q < N_QTY; q++)
            n->v[q] = p->v[q] + run->d[q];
          /* Additive, nonnegative: over budget now means over budget at the end. */
          if (n->v[0] > s->max_lat || n->v[1] > s->max_size)
            continue;
          n->parent = (gint32) (src->first + k);
          n->w_code = run->w_code;
          n->o_code = run->o_code;
          n_acc++;
        }
    }
  s->stats.partials += n_acc;
  n_acc = prune (buf, n_acc, pdims, pn, s->dp.epsilon);
  ns->first = cur->len;
  g_array_append_vals (cur, buf, n_acc);
  return n_acc;
}

/* Keeps the layer's back pointers for the backtracking and swaps the value
 * buffers: @cur becomes the previous layer's values. */
static void
push_back_pointers (Search *s, GArray *cur)
{
  GArray *back = g_array_sized_new (FALSE, FALSE, sizeof (Back), cur->len);
  Back *bk;

  g_array_set_size (back, cur->len);
  bk = (Back *) back->data;
  for (guint k = 0; k < cur->len; k++)
    {
      const Node *nd = &g_array_index (cur, Node, k);
      bk[k] = (Back) nd->parent << 4 | (Back) nd->w_code << 2 | nd->o_code;
    }
  g_ptr_array_add (s->arena, back);
  s->vals_cur = s->vals_prev;
  s->vals_prev = cur;
}

/* One layer of the DP. */
static gboolean
search_layer (Search *s, guint i, GError **error)
{
  const FbParetoParams *p = s->p;
  Dp *dp = &s->dp;
  const FbLayer *l = fb_network_get_layer (p->network, i);
  g_autoptr(GPtrArray) next = NULL;
  gboolean last = i + 1 == dp->n_layers;
  /* Runs are sorted by the pruning dims only if the previous layer was pruned
   * with the same two dims (always, except into the last layer when a
   * budgeted non-objective drops out). */
  gboolean two = dp->n_dims == 2 && (!last || dp->n_odims == 2);
  const guint *pdims = last ? dp->odims : dp->dims;
  guint pn = last ? dp->n_odims : dp->n_dims;
  double lim[N_QTY] = { s->max_lat, s->max_size, INFINITY, INFINITY };
  GArray *cur = s->vals_cur;
  guint n_cur = 0;

  if (g_cancellable_set_error_if_cancelled (p->cancellable, error))
    return FALSE;
  if (p->progress_func)
    {
      g_autofree char *msg = g_strdup_printf ("layer %u/%u %s: %u states, %" G_GUINT64_FORMAT " partial solutions",
                                              i + 1, dp->n_layers, l->name, s->states->len, s->stats.kept);
      p->progress_func ((double) i / dp->n_layers, msg, p->user_data);
    }
  next = layer_transitions (s, i);

  /* Per target state: merge (two dims) or materialize and prune its runs. */
  g_array_set_size (cur, 0);
  for (guint si = 0; si < next->len; si++)
    {
      State *ns = g_ptr_array_index (next, si);

      ns->n_kept = two ? merge_state (s, ns, lim, cur) : prune_state (s, ns, pdims, pn, cur);
      n_cur += ns->n_kept;
      if ((si & 15) == 0 && g_cancellable_set_error_if_cancelled (p->cancellable, error))
        return FALSE;
    }
  /* Drop states that lost every partial solution (budgets). */
  for (guint si = next->len; si-- > 0;)
    if (((State *) g_ptr_array_index (next, si))->n_kept == 0)
      g_ptr_array_remove_index (next, si);
  if (cur->len >= BACK_MAX_NODES)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_GRAPH,
                   _("more than %u partial solutions after layer %s: use a budget or ε"), BACK_MAX_NODES, l->name);
      return FALSE;
    }
  push_back_pointers (s, cur);
  s->stats.kept += n_cur;
  s->stats.max_kept = MAX (s->stats.max_kept, n_cur);
  s->stats.max_states = MAX (s->stats.max_states, next->len);
  g_ptr_array_unref (s->states);
  s->states = g_ptr_array_ref (next);
  return TRUE;
}

/* After the classifier no tensor is open: one state holds the front. */
static gboolean
emit_front (Search *s, GError **error)
{
  const FbParetoParams *p = s->p;
  Dp *dp = &s->dp;
  const char *method = p->method != NULL ? p->method : "pareto";
  State *st;
  g_autoptr(JsonObject) prov = NULL;
  g_autofree char *objs = NULL;
  guint64 macs = 0;

  if (s->states->len != 1 || s->arena->len != dp->n_layers + 1)
    return TRUE;
  st = g_ptr_array_index (s->states, 0);
  prov = json_object_new ();
  objs = fb_pareto_objectives_to_string (p->objectives);
  for (guint i = 0; i < dp->n_layers; i++)
    macs += fb_network_get_layer (p->network, i)->macs;
  json_object_set_string_member (prov, "method", method);
  if (p->table)
    json_object_set_string_member (prov, "target", fb_latency_table_get_target (p->table));
  json_object_set_string_member (prov, "objectives", objs);
  json_object_set_double_member (prov, "epsilon", dp->epsilon);
  json_object_set_int_member (prov, "front_size", st->n_kept);
  if (s->sensitivity)
    json_object_set_object_member (prov, "sensitivity", fb_sensitivity_to_json (s->sensitivity));
  /* Non-activation tensors keep code 0 / logits; activation codes come from the nodes. */
  memset (s->var_code, 0, dp->n_tensors);
  s->stats.front_size = st->n_kept;
  for (guint k = 0; k < st->n_kept; k++)
    {
      g_autoptr(FbCandidate) cand = build_candidate (dp, s->arena, &g_array_index (s->vals_prev, Node, st->first + k),
                                                     st->first + k, p->start, p->table, s->sensitivity,
                                                     s->var_code, method, prov, macs);
      /* The DP already honoured every budget; the check is a cheap safeguard. */
      if (p->candidate_func && fb_search_constraints_check (p->constraints, fb_candidate_get_metrics (cand), NAN))
        p->candidate_func (cand, p->user_data);
      if ((k & 255) == 255 && g_cancellable_set_error_if_cancelled (p->cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
fb_search_pareto_run (const FbParetoParams *params, FbParetoStats *out_stats, GError **error)
{
  Search s = { 0 };
  gint64 t0 = g_get_monotonic_time ();
  gboolean ok = FALSE;

  g_return_val_if_fail (params != NULL && params->network != NULL, FALSE);
  if (!search_init (&s, params, error))
    goto out;
  for (guint i = 0; i < s.dp.n_layers && s.states->len > 0; i++)
    if (!search_layer (&s, i, error))
      goto out;
  s.stats.dp_seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (!emit_front (&s, error))
    goto out;
  if (params->progress_func)
    params->progress_func (1.0, "done", params->user_data);
  s.stats.total_seconds = (g_get_monotonic_time () - t0) / 1e6;
  if (out_stats)
    *out_stats = s.stats;
  ok = TRUE;

out:
  search_clear (&s);
  return ok;
}

gboolean
fb_search_pareto (FbNetwork *network, FbLatencyTable *table, FbSensitivity *sensitivity,
                  FbPrecisionConfig *start, FbParetoObjectives objectives, double epsilon,
                  const FbSearchConstraints *constraints, const char *method,
                  FbSearchCandidateFunc candidate_func, FbSearchProgressFunc progress_func,
                  gpointer user_data, GCancellable *cancellable, FbParetoStats *out_stats,
                  GError **error)
{
  FbParetoParams params = {
    .network = network, .table = table, .sensitivity = sensitivity, .start = start,
    .objectives = objectives, .epsilon = epsilon, .constraints = constraints, .method = method,
    .candidate_func = candidate_func, .progress_func = progress_func, .user_data = user_data,
    .cancellable = cancellable,
  };

  return fb_search_pareto_run (&params, out_stats, error);
}
