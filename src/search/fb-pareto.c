/* fb-pareto.c — exact Pareto front by multi-objective DP over the layer sequence.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fb-error.h"
#include "fb-pareto.h"

#define N_QTY 3          /* tracked additive quantities: latency, size, BOPs */
#define MAX_OPEN 40      /* open tensors per state: 3^40 < 2^64 */
#define CODE_LOGITS 3    /* bit codes: 8 → 0, 4 → 1, 2 → 2, 32 → 3 */

static const guint code_bits[4] = { 8, 4, 2, 32 };

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

typedef struct {
  guint64 key;
  GArray *nodes;         /* Node, candidates before pruning */
  GArray *runs;          /* guint: where each (source state, choice) run starts in @nodes */
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
      if (g_str_equal (w, "latency"))
        mask |= FB_PARETO_LATENCY;
      else if (g_str_equal (w, "size"))
        mask |= FB_PARETO_SIZE;
      else if (g_str_equal (w, "bops"))
        mask |= FB_PARETO_BOPS;
      else
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "unknown objective \"%s\" (use latency, size, bops)", w);
          return FALSE;
        }
    }
  if (mask == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "no objective given");
      return FALSE;
    }
  *out = mask;
  return TRUE;
}

static guint g_sort_dims[N_QTY], g_sort_n;

/* Lexicographic on the pruning dims, then on the choices so the result does
 * not depend on qsort's order among equal values. */
static int
node_cmp_dims (const Node *x, const Node *y, const guint *dims, guint n)
{
  for (guint k = 0; k < n; k++)
    if (x->v[dims[k]] != y->v[dims[k]])
      return x->v[dims[k]] < y->v[dims[k]] ? -1 : 1;
  if (x->parent != y->parent)
    return x->parent < y->parent ? -1 : 1;
  if (x->w_code != y->w_code)
    return x->w_code < y->w_code ? -1 : 1;
  return (int) x->o_code - (int) y->o_code;
}

static int
node_cmp (const void *a, const void *b)
{
  return node_cmp_dims (a, b, g_sort_dims, g_sort_n);
}

/* Keeps the non-dominated nodes of @nodes (sorted in place); returns how many,
 * moved to the front. Equal vectors count as dominated: one survives. */
static guint
prune (Node *nodes, guint n, const guint *dims, guint nd, double eps)
{
  guint kept = 0;

  if (n == 0)
    return 0;
  /* qsort has no user data; the search runs in one thread at a time per call,
   * but two concurrent searches must not race, hence the lock. */
  {
    static GMutex lock;
    g_mutex_lock (&lock);
    memcpy (g_sort_dims, dims, sizeof g_sort_dims);
    g_sort_n = nd;
    qsort (nodes, n, sizeof (Node), node_cmp);
    g_mutex_unlock (&lock);
  }
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

/* Two objectives: every run is a source state's front shifted by one constant
 * vector, so it is already sorted and non-dominated; merging runs pairwise with
 * a sweep is linear per run, where sorting everything was the DP's main cost.
 * Ties go the same way as in prune(), so both give the same front. */
static guint
merge_prune_2d (Node *nodes, guint n, GArray *runs, const guint *dims, GArray *buf_a, GArray *buf_b)
{
  Node *a, *b;
  guint na = 0;

  /* Scratch reused across states and layers: fresh large blocks page-fault. */
  if (buf_a->len < n)
    {
      g_array_set_size (buf_a, n);
      g_array_set_size (buf_b, n);
    }
  a = (Node *) buf_a->data;
  b = (Node *) buf_b->data;

  for (guint r = 0; r < runs->len; r++)
    {
      guint start = g_array_index (runs, guint, r);
      guint end = r + 1 < runs->len ? g_array_index (runs, guint, r + 1) : n;
      guint x = 0, y = start, nb = 0;
      double best = INFINITY;
      Node *t;

      while (x < na || y < end)
        {
          const Node *p;
          if (y >= end || (x < na && node_cmp_dims (&a[x], &nodes[y], dims, 2) <= 0))
            p = &a[x++];
          else
            p = &nodes[y++];
          if (p->v[dims[1]] < best)
            {
              best = p->v[dims[1]];
              b[nb++] = *p;
            }
        }
      t = a, a = b, b = t;
      na = nb;
    }
  memcpy (nodes, a, na * sizeof (Node));
  return na;
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
              g_set_error (error, FB_ERROR, FB_ERROR_BITS, "tensor \"%s\" admits no bit-width", ten->name);
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
          g_set_error (error, FB_ERROR, FB_ERROR_BITS, "layer \"%s\" admits no weight bit-width", l->name);
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
                       "%u tensors are alive at once before layer %u; the DP handles at most %u",
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
  for (guint i = 0; i < L; i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      int va = dp->var_of[l->inputs[0]];
      int vm = l->op == FB_OP_ADD ? dp->var_of[l->inputs[1]] : -1;
      int vo = fb_network_get_tensor (net, l->output)->kind == FB_TENSOR_ACTIVATION ? (int) l->output : -1;
      guint na = va >= 0 ? dp->n_opts[va] : 1;
      guint nm = l->op == FB_OP_ADD ? (vm >= 0 ? dp->n_opts[vm] : 1) : dp->n_wopts[i];
      guint no = vo >= 0 ? dp->n_opts[vo] : 1;

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
  if (s->nodes)
    g_array_unref (s->nodes);
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

gboolean
fb_search_pareto (FbNetwork *network, FbLatencyTable *table, FbPrecisionConfig *start,
                  FbParetoObjectives objectives, double epsilon,
                  const FbSearchConstraints *constraints, FbSearchCandidateFunc candidate_func,
                  FbSearchProgressFunc progress_func, gpointer user_data,
                  GCancellable *cancellable, guint *out_n_states, GError **error)
{
  Dp dp = { 0 };
  gboolean ok = FALSE;
  /* One node array per layer (index 0: the root), each allocated once at its
   * final size: a single growing arena spent most of its time in realloc. */
  g_autoptr(GPtrArray) arena = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  guint64 total_nodes = 1;
  g_autoptr(GArray) scratch_a = g_array_new (FALSE, FALSE, sizeof (Node));
  g_autoptr(GArray) scratch_b = g_array_new (FALSE, FALSE, sizeof (Node));
  g_autoptr(GPtrArray) states = g_ptr_array_new_with_free_func (state_free);
  g_autofree guint8 *var_code = NULL;
  double max_lat = constraints && fb_search_constraints_has_latency (constraints) ? constraints->max_latency : INFINITY;
  double max_size = constraints && constraints->max_size ? (double) constraints->max_size : INFINITY;
  guint64 max_ram = constraints ? constraints->max_ram : 0;
  guint max_states = 1;

  if (start && fb_precision_config_get_network (start) != network)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, "start config belongs to another network");
      return FALSE;
    }
  if (table == NULL && ((objectives & FB_PARETO_LATENCY) || isfinite (max_lat)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the latency objective or a latency budget needs a latency table");
      return FALSE;
    }
  if (table && !fb_latency_table_check_network (table, network, error))
    return FALSE;
  if (!(epsilon >= 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "epsilon must be >= 0, got %g", epsilon);
      return FALSE;
    }

  dp.net = network;
  dp.n_layers = fb_network_get_n_layers (network);
  dp.n_tensors = fb_network_get_n_tensors (network);
  for (guint q = 0; q < N_QTY; q++)
    if (objectives & (1u << q))
      dp.odims[dp.n_odims++] = q;
  /* A budgeted quantity that is not an objective still has to take part in
   * dominance, or a cheaper-but-over-budget partial could evict a feasible one. */
  memcpy (dp.dims, dp.odims, sizeof dp.dims);
  dp.n_dims = dp.n_odims;
  if (isfinite (max_lat) && !(objectives & FB_PARETO_LATENCY))
    dp.dims[dp.n_dims++] = 0;
  if (isfinite (max_size) && !(objectives & FB_PARETO_SIZE))
    dp.dims[dp.n_dims++] = 1;
  dp.epsilon = dp.n_odims >= 3 ? epsilon : 0.0;

  if (!dp_setup (&dp, table, start, error))
    goto out;
  var_code = g_new0 (guint8, dp.n_tensors);

  {
    State *s0 = g_new0 (State, 1);
    Node root = { { 0, 0, 0 }, -1, 0, 0 };
    GArray *a0 = g_array_sized_new (FALSE, FALSE, sizeof (Node), 1);
    s0->key = 0;
    s0->first = 0;
    s0->n_kept = 1;
    g_array_append_val (a0, root);
    g_ptr_array_add (arena, a0);
    g_ptr_array_add (states, s0);
  }

  for (guint i = 0; i < dp.n_layers; i++)
    {
      const FbLayer *l = fb_network_get_layer (network, i);
      g_autoptr(GHashTable) next_by_key = g_hash_table_new (g_int64_hash, g_int64_equal);
      g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (state_free);
      int vo = fb_network_get_tensor (network, l->output)->kind == FB_TENSOR_ACTIVATION ? (int) l->output : -1;
      guint no = vo >= 0 ? dp.n_opts[vo] : 1;
      gboolean weighted = fb_layer_is_weighted (l);
      guint64 work = 0;
      GArray *prev = g_ptr_array_index (arena, i);
      GArray *cur;
      guint n_cur = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      if (progress_func)
        {
          g_autofree char *msg = g_strdup_printf ("layer %u/%u %s: %u states, %u partial solutions",
                                                  i + 1, dp.n_layers, l->name, states->len, (guint) total_nodes);
          progress_func ((double) i / dp.n_layers, msg, user_data);
        }

      for (guint si = 0; si < states->len; si++)
        {
          State *s = g_ptr_array_index (states, si);

          decode (&dp, i, s->key, var_code);
          for (guint iw = 0; iw < dp.n_wopts[i]; iw++)
            for (guint io = 0; io < no; io++)
              {
                guint w = dp.wopts[i][iw];
                guint a, m, o;
                double lat = 0, size = 0, bops = 0;
                guint64 key;
                State *ns;

                if (vo >= 0)
                  var_code[vo] = dp.opts[vo][io];
                a = tensor_code (&dp, var_code, l->inputs[0]);
                m = l->op == FB_OP_ADD ? tensor_code (&dp, var_code, l->inputs[1]) : w;
                o = tensor_code (&dp, var_code, l->output);
                if (table)
                  {
                    lat = LAT (&dp, i, a, m, o);
                    if (isinf (lat))
                      continue;   /* the table has no entry: the target cannot run it */
                  }
                if (weighted)
                  {
                    size = (double) fb_metrics_weight_bytes (network, i, code_bits[w]);
                    bops = (double) l->macs * code_bits[w] * code_bits[a];
                  }
                if (max_ram > 0)
                  {
                    guint64 live = 0;
                    for (guint k = 0; k < dp.alive[i]->len; k++)
                      {
                        guint t = g_array_index (dp.alive[i], guint, k);
                        live += dp.tbytes[t * 4 + tensor_code (&dp, var_code, t)];
                      }
                    if (live > max_ram)
                      continue;
                  }

                key = encode (&dp, i + 1, var_code);
                ns = g_hash_table_lookup (next_by_key, &key);
                if (ns == NULL)
                  {
                    ns = g_new0 (State, 1);
                    ns->key = key;
                    ns->nodes = g_array_sized_new (FALSE, FALSE, sizeof (Node), prev->len);
                    ns->runs = g_array_new (FALSE, FALSE, sizeof (guint));
                    g_ptr_array_add (next, ns);
                    g_hash_table_insert (next_by_key, &ns->key, ns);
                  }

                g_array_append_val (ns->runs, ns->nodes->len);
                for (guint k = 0; k < s->n_kept; k++)
                  {
                    gint32 pi = s->first + k;
                    const Node *p = &g_array_index (prev, Node, pi);
                    Node n;

                    n.v[0] = p->v[0] + lat;
                    n.v[1] = p->v[1] + size;
                    n.v[2] = p->v[2] + bops;
                    /* Additive, nonnegative: over budget now means over budget at the end. */
                    if (n.v[0] > max_lat || n.v[1] > max_size)
                      continue;
                    n.parent = pi;
                    n.w_code = w;
                    n.o_code = vo >= 0 ? var_code[vo] : 0;
                    g_array_append_val (ns->nodes, n);
                  }
                if ((++work & 1023) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
                  goto out;
              }
        }

      /* Prune each state's partial solutions and move the survivors to the arena. */
      for (guint si = 0; si < next->len; si++)
        {
          State *ns = g_ptr_array_index (next, si);
          gboolean last = i + 1 == dp.n_layers;
          /* Runs are sorted by the pruning dims only if the previous layer was
           * pruned with the same two dims (always, except into the last layer
           * when a budgeted non-objective drops out). */
          if (dp.n_dims == 2 && (!last || dp.n_odims == 2))
            ns->n_kept = merge_prune_2d ((Node *) ns->nodes->data, ns->nodes->len, ns->runs, dp.dims,
                                         scratch_a, scratch_b);
          else
            ns->n_kept = prune ((Node *) ns->nodes->data, ns->nodes->len,
                                last ? dp.odims : dp.dims, last ? dp.n_odims : dp.n_dims, dp.epsilon);
          g_array_set_size (ns->nodes, ns->n_kept);
          n_cur += ns->n_kept;
          if ((si & 63) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
            goto out;
        }
      /* Drop states that lost every partial solution (budgets); keep a fixed order. */
      for (guint si = next->len; si-- > 0;)
        if (((State *) g_ptr_array_index (next, si))->n_kept == 0)
          g_ptr_array_remove_index (next, si);
      g_ptr_array_sort (next, state_cmp);
      cur = g_array_sized_new (FALSE, FALSE, sizeof (Node), n_cur);
      for (guint si = 0; si < next->len; si++)
        {
          State *ns = g_ptr_array_index (next, si);
          ns->first = cur->len;
          g_array_append_vals (cur, ns->nodes->data, ns->n_kept);
          g_clear_pointer (&ns->nodes, g_array_unref);
        }
      g_ptr_array_add (arena, cur);
      total_nodes += n_cur;
      max_states = MAX (max_states, next->len);
      g_ptr_array_unref (states);
      states = g_ptr_array_ref (next);
      if (states->len == 0)
        break;
    }

  /* After the classifier no tensor is open: one state holds the front. */
  if (states->len == 1)
    {
      State *s = g_ptr_array_index (states, 0);
      guint n_front = s->n_kept;

      for (guint k = 0; k < n_front; k++)
        {
          g_autoptr(FbPrecisionConfig) c = start ? fb_precision_config_copy (start) : fb_precision_config_new (network);
          g_autoptr(FbCandidate) cand = NULL;
          g_autoptr(JsonObject) prov = json_object_new ();
          gint32 ni = s->first + k;

          for (guint i = dp.n_layers; i-- > 0;)
            {
              const Node *n = &g_array_index ((GArray *) g_ptr_array_index (arena, i + 1), Node, ni);
              const FbLayer *l = fb_network_get_layer (network, i);
              if (fb_layer_is_weighted (l))
                fb_precision_config_set_weight_bits (c, i, code_bits[n->w_code]);
              if (fb_network_get_tensor (network, l->output)->kind == FB_TENSOR_ACTIVATION)
                fb_precision_config_set_tensor_bits (c, l->output, code_bits[n->o_code]);
              ni = n->parent;
            }
          json_object_set_string_member (prov, "method", "pareto");
          if (table)
            json_object_set_string_member (prov, "target", fb_latency_table_get_target (table));
          json_object_set_string_member (prov, "objectives",
                                         objectives == (FB_PARETO_LATENCY | FB_PARETO_SIZE) ? "latency,size" :
                                         objectives == (FB_PARETO_LATENCY | FB_PARETO_SIZE | FB_PARETO_BOPS) ? "latency,size,bops" :
                                         objectives == (FB_PARETO_LATENCY | FB_PARETO_BOPS) ? "latency,bops" :
                                         objectives == (FB_PARETO_SIZE | FB_PARETO_BOPS) ? "size,bops" :
                                         objectives == FB_PARETO_LATENCY ? "latency" :
                                         objectives == FB_PARETO_SIZE ? "size" : "bops");
          json_object_set_double_member (prov, "epsilon", dp.epsilon);
          json_object_set_int_member (prov, "front_size", n_front);
          fb_precision_config_set_provenance (c, prov);
          cand = fb_candidate_new_evaluated (c, table, NAN, "pareto", prov, error);
          if (cand == NULL)
            goto out;
          /* The DP already honoured every budget; the check is a cheap safeguard. */
          if (candidate_func && fb_search_constraints_check (constraints, fb_candidate_get_metrics (cand), NAN))
            candidate_func (cand, user_data);
        }
    }
  if (progress_func)
    progress_func (1.0, "done", user_data);
  if (out_n_states)
    *out_n_states = max_states;
  ok = TRUE;

out:
  dp_clear (&dp);
  return ok;
}
