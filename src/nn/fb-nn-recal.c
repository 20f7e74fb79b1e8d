/* fb-nn-recal.c — batch-norm recalibration of many configs, sharing prefixes.
 *
 * Mirrors fb_trainer_recalibrate_bn() (fb-trainer-run.c) and the trainer's
 * forward pass in training mode (fb-trainer.c: forward, set_config,
 * refresh_w8_steps, add_params): keep them in step when those change; the
 * bit-identity test in tests/nn/test-nn-recal.c fails otherwise.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-data-loader.h"
#include "fb-error.h"
#include "fb-fake-quant.h"
#include "fb-json.h"
#include "fb-nn-ops.h"
#include "fb-nn-recal.h"
#include "fb-trainer.h"

typedef enum { K_CONV, K_DEPTHWISE, K_LINEAR, K_ADD, K_POOL } Kind;

typedef struct {
  const FbLayer *layer;
  Kind           kind;
  gboolean       frozen;       /* imported bias as batch norm: never recalibrated */
  float          relu_max;
  const float   *w, *bias, *gamma, *beta, *rmean, *rvar;
  guint          outer, n_wch, inner;
  gsize          n_w, out_size;
  float         *step;         /* [3][n_wch]: row 0 refreshed (max|w_c| / 127) */
  float         *wq[3];        /* fake-quantized weights at 8, 4, 2 bits */
} Layer;

typedef struct _Node Node;
struct _Node {
  Node      *parent;
  guint8     w, a;             /* this layer's weight and output bits (0: none) */
  guint      depth;            /* the layer it computes */
  GPtrArray *children;         /* Node *, sorted by (w, a) */
  Node      *stats;            /* the sibling holding the statistics of (parent, w) */
  float     *slot_mean, *slot_var;  /* during a run: per shard of the run, [slot][C] */
  float     *mean, *var;       /* statistics (on the stats node) once done */
  gboolean   done, pending;
  int        owner;            /* the work unit that sums them */
};

struct _FbNnRecal {
  FbNetwork     *network;
  FbWeights     *weights;
  char          *origin;
  FbDataset     *train;
  guint          n_images;
  guint          depth;        /* layers up to the last recalibrated batch norm */
  Layer         *layers;       /* [n_layers of the network] */
  float         *alpha;        /* [n_tensors][3] */
  Node          *root;
  GMutex         lock;
  guint64        passes;       /* under the lock */
  /* During a run: shards (slots) of the recalibration and their images. */
  guint          n_slots;
  guint         *slot_n;
  FbTrainOptions topt;
};

static const guint index_bits[3] = { 8, 4, 2 };

/* ---- setup -------------------------------------------------------------------- */

static gboolean
layer_kind (const FbLayer *l, Kind *kind)
{
  switch (l->op)
    {
    case FB_OP_CONV2D: *kind = K_CONV; return TRUE;
    case FB_OP_DEPTHWISE_CONV2D: *kind = K_DEPTHWISE; return TRUE;
    case FB_OP_LINEAR: *kind = K_LINEAR; return TRUE;
    case FB_OP_ADD: *kind = K_ADD; return TRUE;
    case FB_OP_GLOBAL_AVG_POOL:
    case FB_OP_AVG_POOL2D:
    case FB_OP_MAX_POOL2D: *kind = K_POOL; return TRUE;
    default: return FALSE;
    }
}

gboolean
fb_nn_recal_supports (FbNetwork *network, FbWeights *weights)
{
  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    {
      const FbLayer *l = fb_network_get_layer (network, i);
      const FbTensor *out = fb_network_get_tensor (network, l->output);
      const FbWeightsTensor *st;
      Kind kind;

      if (!layer_kind (l, &kind))
        return FALSE;
      if (out->kind == FB_TENSOR_ACTIVATION && fb_weights_lookup (weights, l->name, "act_alpha") == NULL)
        return FALSE;
      if (!fb_layer_is_weighted (l))
        continue;
      st = fb_weights_lookup (weights, l->name, "w_step");
      if (st == NULL || st->n_dims != 2 || st->dims[0] != 3 || st->dims[1] != l->out_shape.c)
        return FALSE;
    }
  return fb_network_get_n_layers (network) > 0;
}

/* The trainer's refresh_w8_steps: 8-bit steps are max|w_c| / 127 of the weights. */
static void
refresh_w8 (Layer *L)
{
  for (guint c = 0; c < L->n_wch; c++)
    {
      float amax = 0.0f;
      for (guint o = 0; o < L->outer; o++)
        for (guint i = 0; i < L->inner; i++)
          amax = MAX (amax, fabsf (L->w[((gsize) o * L->n_wch + c) * L->inner + i]));
      L->step[c] = amax > 0.0f ? amax / 127.0f : 1e-3f;
    }
}

static gboolean
setup_weighted (FbNnRecal *self, Layer *L, GError **error)
{
  const FbLayer *l = L->layer;
  guint cout = l->out_shape.c;
  const FbWeightsTensor *t = fb_weights_lookup (self->weights, l->name, "weight");
  const FbWeightsTensor *st = fb_weights_lookup (self->weights, l->name, "w_step");

  if (t == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: tensor (\"%s\", \"weight\") missing"),
                   self->origin, l->name);
      return FALSE;
    }
  L->w = t->data;
  L->n_w = t->n;
  if (L->kind == K_DEPTHWISE)
    {
      L->outer = l->kernel_h * l->kernel_w;
      L->n_wch = cout;
      L->inner = 1;
    }
  else if (L->kind == K_LINEAR && l->output == fb_network_get_logits (self->network)->index)
    {
      L->outer = 1;
      L->n_wch = 1;
      L->inner = (guint) L->n_w;
    }
  else
    {
      L->outer = 1;
      L->n_wch = cout;
      L->inner = (guint) (L->n_w / cout);
    }
  L->step = g_new (float, 3 * (gsize) L->n_wch);
  for (guint b = 0; b < 3; b++)
    for (guint c = 0; c < L->n_wch; c++)
      L->step[b * L->n_wch + c] = st->data[b * cout + c];
  refresh_w8 (L);
  for (guint b = 0; b < 3; b++)
    {
      L->wq[b] = g_new (float, L->n_w);
      fb_fake_quant_weights_forward (L->outer, L->n_wch, L->inner, L->w, L->step + b * L->n_wch,
                                     index_bits[b], L->wq[b]);
    }
  if (L->kind == K_LINEAR)
    {
      const FbWeightsTensor *b = fb_weights_lookup (self->weights, l->name, "bias");
      if (b == NULL)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: tensor (\"%s\", \"bias\") missing"),
                       self->origin, l->name);
          return FALSE;
        }
      L->bias = b->data;
      return TRUE;
    }
  {
    const char *params[4] = { "bn_gamma", "bn_beta", "bn_mean", "bn_var" };
    const float **dst[4] = { &L->gamma, &L->beta, &L->rmean, &L->rvar };
    for (guint k = 0; k < 4; k++)
      {
        guint dims[1] = { cout };
        const FbWeightsTensor *bt = fb_weights_require (self->weights, l->name, params[k], 1, dims,
                                                        self->origin, error);
        if (bt == NULL)
          return FALSE;
        *dst[k] = bt->data;
      }
  }
  L->frozen = TRUE;
  for (guint k = 0; k < cout; k++)
    L->frozen = L->frozen && L->rvar[k] == 1.0f - FB_NN_BN_EPS;
  return TRUE;
}

static void
node_free (Node *n)
{
  if (n == NULL)
    return;
  g_clear_pointer (&n->children, g_ptr_array_unref);
  g_free (n->slot_mean);
  g_free (n->slot_var);
  g_free (n->mean);
  g_free (n->var);
  g_free (n);
}

FbNnRecal *
fb_nn_recal_new (FbNetwork *network, FbWeights *weights, const char *origin, FbDataset *train,
                 guint n_images, GError **error)
{
  g_autoptr(FbNnRecal) self = g_new0 (FbNnRecal, 1);
  guint nl = fb_network_get_n_layers (network), nt = fb_network_get_n_tensors (network);
  const FbTensor *in = fb_network_get_input (network);

  self->network = fb_network_ref (network);
  self->weights = fb_weights_ref (weights);
  self->origin = g_strdup (origin != NULL ? origin : "weights");
  self->train = fb_dataset_ref (train);
  self->n_images = n_images;
  self->layers = g_new0 (Layer, nl);
  self->alpha = g_new0 (float, (gsize) nt * 3);
  self->root = g_new0 (Node, 1);
  self->root->children = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  self->root->done = TRUE;
  g_mutex_init (&self->lock);
  fb_train_options_init (&self->topt);
  if (!fb_nn_recal_supports (network, weights))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: weights without w_step / act_alpha, or an op the trainer does not run"), self->origin);
      return NULL;
    }
  if (fb_dataset_get_example_size (train) != (gsize) in->shape.h * in->shape.w * in->shape.c)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, _("%s: examples do not fit the input of network \"%s\""),
                   fb_dataset_get_path (train), fb_network_get_name (network));
      return NULL;
    }
  for (guint i = 0; i < nl; i++)
    {
      Layer *L = &self->layers[i];
      const FbWeightsTensor *rm;
      const FbTensor *out;

      L->layer = fb_network_get_layer (network, i);
      out = fb_network_get_tensor (network, L->layer->output);
      L->out_size = (gsize) L->layer->out_shape.h * L->layer->out_shape.w * L->layer->out_shape.c;
      layer_kind (L->layer, &L->kind);
      rm = fb_weights_lookup (weights, L->layer->name, "relu_max");
      L->relu_max = rm != NULL && rm->n == 1 ? rm->data[0] : 0.0f;
      if (fb_layer_is_weighted (L->layer) && !setup_weighted (self, L, error))
        return NULL;
      if ((L->kind == K_CONV || L->kind == K_DEPTHWISE) && !L->frozen)
        self->depth = i + 1;
      if (out->kind == FB_TENSOR_ACTIVATION)
        {
          const FbWeightsTensor *a = fb_weights_lookup (weights, L->layer->name, "act_alpha");
          for (guint b = 0; b < 3; b++)
            self->alpha[L->layer->output * 3 + b] = a->data[b];
        }
    }
  return g_steal_pointer (&self);
}

void
fb_nn_recal_free (FbNnRecal *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; self->layers != NULL && i < fb_network_get_n_layers (self->network); i++)
    {
      g_free (self->layers[i].step);
      for (guint b = 0; b < 3; b++)
        g_free (self->layers[i].wq[b]);
    }
  g_free (self->layers);
  g_free (self->alpha);
  node_free (self->root);
  g_mutex_clear (&self->lock);
  fb_network_unref (self->network);
  fb_weights_unref (self->weights);
  fb_dataset_unref (self->train);
  g_free (self->origin);
  g_free (self);
}

guint64
fb_nn_recal_get_n_layer_passes (FbNnRecal *self)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->passes;
  g_mutex_unlock (&self->lock);
  return n;
}

/* ---- the trie ------------------------------------------------------------------- */

static void
config_key (FbNnRecal *self, FbPrecisionConfig *config, guint i, guint8 *w, guint8 *a)
{
  const FbLayer *l = self->layers[i].layer;
  FbTensorKind kind = fb_network_get_tensor (self->network, l->output)->kind;

  *w = fb_layer_is_weighted (l) ? (guint8) fb_precision_config_get_weight_bits (config, i) : 0;
  *a = kind == FB_TENSOR_ACTIVATION || kind == FB_TENSOR_POOLED
         ? (guint8) fb_precision_config_get_tensor_bits (config, l->output) : 0;
}

/* Children sort by weight bits, then output bits: a weight group is contiguous. */
static int
child_cmp (const Node *n, guint8 w, guint8 a)
{
  return n->w != w ? (n->w > w ? 1 : -1) : n->a != a ? (n->a > a ? 1 : -1) : 0;
}

static Node *
child_get (Node *parent, guint depth, guint8 w, guint8 a, gboolean create)
{
  guint i = 0;
  Node *n, *group = NULL;

  for (; i < parent->children->len; i++)
    {
      Node *c = g_ptr_array_index (parent->children, i);
      int cmp = child_cmp (c, w, a);
      if (cmp == 0)
        return c;
      if (c->w == w && group == NULL)
        group = c->stats;
      if (cmp > 0)
        break;
    }
  for (guint k = i; group == NULL && k < parent->children->len; k++)
    if (((Node *) g_ptr_array_index (parent->children, k))->w == w)
      group = ((Node *) g_ptr_array_index (parent->children, k))->stats;
  if (!create)
    return NULL;
  n = g_new0 (Node, 1);
  n->parent = parent;
  n->w = w;
  n->a = a;
  n->depth = depth;
  n->children = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);
  n->stats = group != NULL ? group : n;
  n->owner = -1;
  g_ptr_array_insert (parent->children, (gint) i, n);
  return n;
}

/* The node of @config's full prefix (NULL when absent and !@create). */
static Node *
config_node (FbNnRecal *self, FbPrecisionConfig *config, gboolean create)
{
  Node *n = self->root;

  for (guint i = 0; i < self->depth && n != NULL; i++)
    {
      guint8 w, a;
      config_key (self, config, i, &w, &a);
      n = child_get (n, i, w, a, create);
    }
  return n;
}

/* Marks nodes that are not done, and their ancestors, pending; returns whether any is. */
static gboolean
mark_pending (Node *n)
{
  gboolean any = !n->done;

  for (guint i = 0; i < n->children->len; i++)
    any |= mark_pending (g_ptr_array_index (n->children, i));
  n->pending = any;
  return any;
}

/* ---- one shard through a subtree ---------------------------------------------------- */

typedef struct {
  FbNnRecal    *self;
  Node         *node;          /* the subtree root */
  int           index;        /* the subtree's */
  guint         part, parts;  /* this unit runs the shards with slot % parts == part */
  GCancellable *cancellable;
  GError       *error;
  guint64       passes;
} Unit;

typedef struct {
  FbNnRecal    *self;
  int           unit;
  guint         slot;          /* the shard's index in the run */
  GCancellable *cancellable;   /* checked per node: a big subtree takes seconds */
  guint         n;             /* images of the shard */
  const float **act_of;        /* [n_tensors]: current value of each tensor */
  float       **pre, **act;    /* [depth]: before and after fake quantization */
  float        *z, *scratch, *bmean, *bvar;
  guint64       passes;
} Ctx;

static void
ctx_init (Ctx *c, FbNnRecal *self, int unit, guint cap)
{
  gsize zmax = 1, smax = 1;
  guint cmax = 1;

  memset (c, 0, sizeof *c);
  c->self = self;
  c->unit = unit;
  c->act_of = g_new0 (const float *, fb_network_get_n_tensors (self->network));
  c->pre = g_new0 (float *, MAX (self->depth, 1));
  c->act = g_new0 (float *, MAX (self->depth, 1));
  for (guint i = 0; i < self->depth; i++)
    {
      Layer *L = &self->layers[i];
      c->pre[i] = g_new (float, L->out_size * cap);
      c->act[i] = g_new (float, L->out_size * cap);
      zmax = MAX (zmax, L->out_size * cap);
      cmax = MAX (cmax, L->layer->out_shape.c);
      if (L->kind == K_CONV)
        {
          FbNnConv g;
          const FbLayer *l = L->layer;
          fb_nn_conv_init (&g, cap, l->in_shape.h, l->in_shape.w, l->in_shape.c, l->out_shape.c, l->kernel_h,
                           l->kernel_w, l->stride_h, l->stride_w, l->pad_top, l->pad_bottom, l->pad_left,
                           l->pad_right);
          smax = MAX (smax, fb_nn_conv2d_scratch_size (&g));
        }
    }
  c->z = g_new (float, zmax);
  c->scratch = g_new (float, smax);
  c->bmean = g_new (float, cmax);
  c->bvar = g_new (float, cmax);
}

static void
ctx_clear (Ctx *c)
{
  for (guint i = 0; i < c->self->depth; i++)
    {
      g_free (c->pre[i]);
      g_free (c->act[i]);
    }
  g_free (c->pre);
  g_free (c->act);
  g_free (c->act_of);
  g_free (c->z);
  g_free (c->scratch);
  g_free (c->bmean);
  g_free (c->bvar);
}

/* Layer @n->depth with @n's weight bits, into pre (or act when its output is
 * not quantized): the trainer's forward() in training mode; the batch
 * statistics summed into @n's stats node when this unit owns it. */
static void
compute_layer (Ctx *c, Node *n)
{
  FbNnRecal *self = c->self;
  Layer *L = &self->layers[n->depth];
  const FbLayer *l = L->layer;
  const float *x = c->act_of[l->inputs[0]];
  float *y = n->a ? c->pre[n->depth] : c->act[n->depth];
  const float *w = n->w ? L->wq[fb_fake_quant_bits_index (n->w)] : L->w;
  gsize m = (gsize) c->n * l->out_shape.h * l->out_shape.w, size = (gsize) c->n * L->out_size;
  guint ch = l->out_shape.c;
  FbNnConv g;

  c->passes++;
  switch (L->kind)
    {
    case K_CONV:
    case K_DEPTHWISE:
      fb_nn_conv_init (&g, c->n, l->in_shape.h, l->in_shape.w, l->in_shape.c, l->out_shape.c, l->kernel_h,
                       l->kernel_w, l->stride_h, l->stride_w, l->pad_top, l->pad_bottom, l->pad_left, l->pad_right);
      if (L->kind == K_CONV)
        fb_nn_conv2d_forward (&g, x, w, c->z, c->scratch);
      else
        fb_nn_depthwise_forward (&g, x, w, c->z);
      if (L->frozen)
        {
          fb_nn_batch_norm_eval_forward ((guint) m, ch, c->z, L->gamma, L->beta, L->rmean, L->rvar,
                                         l->relu, y);
          break;
        }
      fb_nn_batch_norm_train_forward ((guint) m, ch, c->z, L->gamma, L->beta, l->relu, y, c->bmean, c->bvar);
      /* Kept per shard and summed in shard order at the end (finish_stats),
       * as fb_trainer_recalibrate_bn sums them, whichever thread ran it. */
      if (n->stats->owner == c->unit && !n->stats->done)
        {
          memcpy (n->stats->slot_mean + (gsize) c->slot * ch, c->bmean, ch * sizeof (float));
          memcpy (n->stats->slot_var + (gsize) c->slot * ch, c->bvar, ch * sizeof (float));
        }
      break;
    case K_LINEAR:
      fb_nn_linear_forward (c->n, l->cin, l->cout, x, w, L->bias, y);
      if (l->relu)
        fb_nn_relu_forward ((gsize) c->n * l->cout, y, y);
      break;
    case K_ADD:
      fb_nn_add_forward (size, x, c->act_of[l->inputs[1]], l->relu, y);
      break;
    case K_POOL:
      if (l->op == FB_OP_GLOBAL_AVG_POOL)
        fb_nn_global_avg_pool_forward (c->n, l->in_shape.h * l->in_shape.w, ch, x, y);
      else
        {
          fb_nn_conv_init (&g, c->n, l->in_shape.h, l->in_shape.w, l->in_shape.c, l->out_shape.c, l->kernel_h,
                           l->kernel_w, l->stride_h, l->stride_w, l->pad_top, l->pad_bottom, l->pad_left,
                           l->pad_right);
          if (l->op == FB_OP_AVG_POOL2D)
            fb_nn_avg_pool2d_forward (&g, l->count_include_pad, x, y);
          else
            fb_nn_max_pool2d_forward (&g, x, y);
        }
      break;
    }
  if (L->relu_max > 0.0f)
    for (gsize k = 0; k < size; k++)
      y[k] = MIN (y[k], L->relu_max);
}

/* @n's output bits: fake quantization of pre into act (the trainer's forward()). */
static void
quantize_layer (Ctx *c, Node *n)
{
  FbNetwork *net = c->self->network;
  Layer *L = &c->self->layers[n->depth];
  guint t = L->layer->output;
  gsize size = (gsize) c->n * L->out_size;
  float *y = c->act[n->depth];

  c->act_of[t] = y;
  if (n->a == 0)
    return;
  {
    guint src = fb_network_get_tensor (net, t)->bits_source;
    gboolean sgn = fb_network_tensor_is_signed (net, src);
    float alpha = c->self->alpha[src * 3 + fb_fake_quant_bits_index (n->a)];
    const float *x = c->pre[n->depth];

    if (L->kind == K_POOL)
      fb_fake_quant_round_forward (size, x, alpha / (float) fb_fake_quant_act_levels (n->a, sgn), y);
    else if (sgn)
      fb_fake_quant_act_signed_forward (size, x, alpha, n->a, y);
    else
      fb_fake_quant_act_forward (size, x, alpha, n->a, y);
  }
}

static void
visit_children (Ctx *c, Node *parent)
{
  Node *group = NULL;

  for (guint i = 0; i < parent->children->len; i++)
    {
      Node *n = g_ptr_array_index (parent->children, i);
      if (!n->pending || g_cancellable_is_cancelled (c->cancellable))
        continue;
      if (n->stats != group)
        {
          compute_layer (c, n);
          group = n->stats;
        }
      quantize_layer (c, n);
      visit_children (c, n);
    }
}

static void
run_unit (gpointer data, gpointer user_data)
{
  Unit *u = data;
  FbNnRecal *self = u->self;
  guint cap = self->topt.batch_size, n_shards = MIN (self->topt.shards, cap);
  gsize in = fb_dataset_get_example_size (self->train);
  g_autoptr(FbDataLoader) loader = fb_data_loader_new (self->train, FB_DATA_LOADER_SHUFFLE, cap, self->n_images,
                                                       self->topt.seed);
  g_autofree float *x = g_new (float, (gsize) cap * in);
  g_autofree guint8 *labels = g_new (guint8, cap);
  g_autoptr(GPtrArray) path = g_ptr_array_new ();
  guint batches = fb_data_loader_get_n_batches (loader);
  Ctx c;

  for (Node *n = u->node; n != self->root; n = n->parent)
    g_ptr_array_insert (path, 0, n);
  ctx_init (&c, self, u->index, cap);
  c.cancellable = u->cancellable;
  c.act_of[fb_network_get_input (self->network)->index] = NULL;
  for (guint b = 0; b < batches; b++)
    {
      guint nb;

      if (g_cancellable_set_error_if_cancelled (u->cancellable, &u->error))
        break;
      nb = fb_data_loader_fill (loader, 0, b, x, labels);
      for (guint s = 0; s < n_shards && !g_cancellable_is_cancelled (u->cancellable); s++)
        {
          guint lo = (guint) ((guint64) nb * s / n_shards), hi = (guint) ((guint64) nb * (s + 1) / n_shards);
          c.slot = b * n_shards + s;
          if (c.slot % u->parts != u->part)
            continue;
          self->slot_n[c.slot] = hi - lo;   /* every part writes its own slots */
          if (hi == lo)
            continue;
          c.n = hi - lo;
          c.act_of[fb_network_get_input (self->network)->index] = x + (gsize) lo * in;
          for (guint k = 0; k < path->len; k++)
            {
              compute_layer (&c, g_ptr_array_index (path, k));
              quantize_layer (&c, g_ptr_array_index (path, k));
            }
          visit_children (&c, u->node);
        }
    }
  if (u->error == NULL)
    g_cancellable_set_error_if_cancelled (u->cancellable, &u->error);
  u->passes = c.passes;
  ctx_clear (&c);
}

/* Subtree roots for the threads: the shallowest level with enough pending nodes. */
static GPtrArray *
split_units (FbNnRecal *self, guint want)
{
  GPtrArray *front = g_ptr_array_new ();

  for (guint i = 0; i < self->root->children->len; i++)
    if (((Node *) g_ptr_array_index (self->root->children, i))->pending)
      g_ptr_array_add (front, g_ptr_array_index (self->root->children, i));
  while (front->len > 0 && front->len < want)
    {
      GPtrArray *next = g_ptr_array_new ();
      gboolean deeper = FALSE;
      for (guint k = 0; k < front->len; k++)
        {
          Node *n = g_ptr_array_index (front, k);
          guint added = 0;
          for (guint i = 0; i < n->children->len; i++)
            if (((Node *) g_ptr_array_index (n->children, i))->pending)
              {
                g_ptr_array_add (next, g_ptr_array_index (n->children, i));
                added++;
              }
          /* A node with pending statistics of its own but no pending child stays. */
          if (added == 0)
            g_ptr_array_add (next, n);
          deeper |= added > 0;
        }
      g_ptr_array_unref (front);
      front = next;
      if (!deeper)
        break;
    }
  return front;
}

static void
assign_owner (Node *n, int unit)
{
  n->owner = unit;
  for (guint i = 0; i < n->children->len; i++)
    assign_owner (g_ptr_array_index (n->children, i), unit);
}

static void
start_stats (Node *n, FbNnRecal *self)
{
  if (n != self->root && !n->done && n->stats == n)
    {
      guint ch = self->layers[n->depth].layer->out_shape.c;
      n->slot_mean = g_new0 (float, (gsize) self->n_slots * ch);
      n->slot_var = g_new0 (float, (gsize) self->n_slots * ch);
    }
  for (guint i = 0; i < n->children->len; i++)
    start_stats (g_ptr_array_index (n->children, i), self);
}

static void
finish_stats (Node *n, FbNnRecal *self)
{
  if (n != self->root && !n->done)
    {
      if (n->stats == n)
        {
          Layer *L = &self->layers[n->depth];
          guint ch = L->layer->out_shape.c, count = 0;
          gsize hw = (gsize) L->layer->out_shape.h * L->layer->out_shape.w;
          g_autofree double *sum_mean = g_new0 (double, ch), *sum_var = g_new0 (double, ch);

          for (guint g = 0; g < self->n_slots; g++)
            {
              gsize m = self->slot_n[g] * hw;
              if (self->slot_n[g] == 0)
                continue;
              for (guint k = 0; k < ch; k++)
                {
                  sum_mean[k] += n->slot_mean[(gsize) g * ch + k];
                  sum_var[k] += n->slot_var[(gsize) g * ch + k] * (m > 1 ? (double) m / (m - 1) : 1.0);
                }
              count++;
            }
          n->mean = g_new (float, ch);
          n->var = g_new (float, ch);
          /* No shard at all: the trainer keeps the loaded statistics. */
          for (guint k = 0; k < ch; k++)
            {
              n->mean[k] = count ? (float) (sum_mean[k] / count) : L->rmean[k];
              n->var[k] = count ? (float) (sum_var[k] / count) : L->rvar[k];
            }
          g_clear_pointer (&n->slot_mean, g_free);
          g_clear_pointer (&n->slot_var, g_free);
        }
      n->done = TRUE;
    }
  n->owner = -1;
  for (guint i = 0; i < n->children->len; i++)
    finish_stats (g_ptr_array_index (n->children, i), self);
}

/* Drops the statistics a failed run left half-summed. */
static void
abort_stats (Node *n)
{
  g_clear_pointer (&n->slot_mean, g_free);
  g_clear_pointer (&n->slot_var, g_free);
  n->owner = -1;
  for (guint i = 0; i < n->children->len; i++)
    abort_stats (g_ptr_array_index (n->children, i));
}

static gboolean
run_locked (FbNnRecal *self, guint n_threads, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) units = NULL;
  g_autofree Unit *u = NULL;
  GThreadPool *pool;
  GError *err = NULL;
  guint parts, n_units;

  if (!mark_pending (self->root))
    return TRUE;
  {
    g_autoptr(FbDataLoader) loader = fb_data_loader_new (self->train, FB_DATA_LOADER_SHUFFLE, self->topt.batch_size,
                                                         self->n_images, self->topt.seed);
    self->n_slots = fb_data_loader_get_n_batches (loader) * MIN (self->topt.shards, self->topt.batch_size);
    self->slot_n = g_new0 (guint, MAX (self->n_slots, 1));
  }
  units = split_units (self, 2 * n_threads);
  /* Fewer subtrees than threads (one config, a few): the shards are split too. */
  parts = units->len < n_threads ? (n_threads + units->len - 1) / units->len : 1;
  n_units = units->len * parts;
  u = g_new0 (Unit, n_units);
  for (guint k = 0; k < units->len; k++)
    {
      Node *n = g_ptr_array_index (units, k);
      for (guint p = 0; p < parts; p++)
        u[k * parts + p] = (Unit) { self, n, (int) k, p, parts, cancellable, NULL, 0 };
      assign_owner (n, (int) k);
    }
  /* Ancestors: summed by the first unit below them. */
  for (guint k = units->len; k-- > 0;)
    for (Node *n = ((Node *) g_ptr_array_index (units, k))->parent; n != self->root; n = n->parent)
      n->owner = (int) k;
  start_stats (self->root, self);
  pool = g_thread_pool_new (run_unit, NULL, (gint) MIN (n_threads, n_units), FALSE, &err);
  if (pool == NULL)
    {
      abort_stats (self->root);
      g_clear_pointer (&self->slot_n, g_free);
      g_propagate_error (error, err);
      return FALSE;
    }
  for (guint k = 0; k < n_units; k++)
    g_thread_pool_push (pool, &u[k], NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  for (guint k = 0; k < n_units; k++)
    self->passes += u[k].passes;
  for (guint k = 0; k < n_units; k++)
    if (u[k].error != NULL)
      {
        for (guint j = k + 1; j < n_units; j++)
          g_clear_error (&u[j].error);
        abort_stats (self->root);
        g_clear_pointer (&self->slot_n, g_free);
        g_propagate_error (error, u[k].error);
        return FALSE;
      }
  finish_stats (self->root, self);
  g_clear_pointer (&self->slot_n, g_free);
  return TRUE;
}

gboolean
fb_nn_recal_run (FbNnRecal *self, FbPrecisionConfig **configs, guint n_configs, guint n_threads,
                 GCancellable *cancellable, GError **error)
{
  gboolean ok;

  if (n_threads == 0)
    n_threads = fb_nn_threads_init ();
  else
    fb_nn_threads_init ();   /* serial OpenBLAS */
  g_mutex_lock (&self->lock);
  for (guint k = 0; k < n_configs; k++)
    config_node (self, configs[k], TRUE);
  ok = run_locked (self, n_threads, cancellable, error);
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- the weights of a config ---------------------------------------------------------- */

static gboolean
config_is_all_8 (FbPrecisionConfig *config)
{
  FbNetwork *net = fb_precision_config_get_network (config);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)) && fb_precision_config_get_weight_bits (config, i) != 8)
      return FALSE;
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION && fb_precision_config_get_tensor_bits (config, t) != 8)
      return FALSE;
  return TRUE;
}

/* A deep copy of the supernet's provenance plus what was specialized (as
 * fb_supernet_specialize). */
static void
set_training (FbNnRecal *self, FbWeights *out, FbPrecisionConfig *config)
{
  JsonObject *training = fb_weights_get_training (self->weights);
  g_autoptr(JsonObject) copy = NULL;
  g_autoptr(JsonObject) spec = json_object_new ();
  g_autofree char *cfg = fb_precision_config_to_string (config);

  copy = fb_json_object_copy_deep (training);
  json_object_set_string_member (spec, "config", cfg);
  json_object_set_int_member (spec, "bn_recalibration_images", self->n_images);
  json_object_set_object_member (copy, "specialized", json_object_ref (spec));
  fb_weights_set_training (out, copy);
}

/* Which stats node holds layer i's statistics on @leaf's path. */
static Node *
path_stats (Node *leaf, guint i)
{
  Node *n = leaf;
  while (n != NULL && n->depth != i)
    n = n->parent;
  return n != NULL ? n->stats : NULL;
}

static FbWeights *
build_weights (FbNnRecal *self, FbPrecisionConfig *config, Node *leaf)
{
  FbWeights *out = fb_weights_new_for_network (self->network);

  for (guint k = 0; k < fb_weights_get_n_tensors (self->weights); k++)
    {
      const FbWeightsTensor *t = fb_weights_get_tensor (self->weights, k);
      float *dst = fb_weights_add (out, t->layer, t->param, t->n_dims, t->dims);
      const FbLayer *fl = fb_network_lookup_layer (self->network, t->layer);
      int li = fl != NULL ? (int) fl->index : -1;
      Layer *L = li >= 0 ? &self->layers[li] : NULL;
      Node *st = L != NULL && (guint) li < self->depth && (L->kind == K_CONV || L->kind == K_DEPTHWISE) && !L->frozen
                   ? path_stats (leaf, (guint) li) : NULL;

      memcpy (dst, t->data, t->n * sizeof (float));
      if (st != NULL && g_str_equal (t->param, "bn_mean"))
        memcpy (dst, st->mean, t->n * sizeof (float));
      else if (st != NULL && g_str_equal (t->param, "bn_var"))
        memcpy (dst, st->var, t->n * sizeof (float));
      else if (L != NULL && L->step != NULL && g_str_equal (t->param, "w_step"))
        {
          /* The trainer writes every step row from its state, the 8-bit one
           * refreshed, a one-scale classifier's repeated over the row. */
          guint cout = t->dims[1];
          for (guint b = 0; b < 3; b++)
            for (guint c = 0; c < cout; c++)
              dst[b * cout + c] = L->step[b * L->n_wch + (L->n_wch == 1 ? 0 : c)];
        }
    }
  set_training (self, out, config);
  return out;
}

FbWeights *
fb_nn_recal_weights (FbNnRecal *self, FbPrecisionConfig *config, GCancellable *cancellable, GError **error)
{
  FbWeights *out = NULL;
  Node *leaf;

  if (config_is_all_8 (config))
    return fb_weights_ref (self->weights);
  g_mutex_lock (&self->lock);
  leaf = config_node (self, config, TRUE);
  if (run_locked (self, fb_nn_threads_init (), cancellable, error))
    out = build_weights (self, config, leaf);
  g_mutex_unlock (&self->lock);
  return out;
}
