/* fb-trainer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-fake-quant.h"
#include "fb-json.h"
#include "fb-nn-ops.h"
#include "fb-optimizer.h"
#include "fb-supernet-config.h"
#include "fb-trainer.h"
#include "fb-trainer-private.h"

void
fb_train_options_init (FbTrainOptions *o)
{
  *o = (FbTrainOptions) {
    .epochs = 20,
    .batch_size = 128,
    .shards = 2,
    .lr = 0.1,
    .momentum = 0.9,
    .nesterov = TRUE,
    .weight_decay = 1e-4,
    .warmup_epochs = 1.0,
    .seed = 1,
    .limit_train = 0,
    .augment = TRUE,
    .quant = FB_TRAIN_FLOAT,
    .random_configs = 2,
    .distill = FALSE,
    .min_bits = 2,
  };
}

static gsize
shape_size (FbShape s)
{
  return (gsize) s.h * s.w * s.c;
}

static float *
alloc_floats (gsize n)
{
  return g_new0 (float, MAX (n, 1));
}

void
fb_trainer_free (FbTrainer *self)
{
  if (self == NULL)
    return;
  if (self->threads != NULL)
    {
      g_mutex_lock (&self->lock);
      self->quit = TRUE;
      g_cond_broadcast (&self->start_cond);
      g_mutex_unlock (&self->lock);
      for (guint t = 1; t < self->n_threads; t++)
        if (self->threads[t] != NULL)
          g_thread_join (self->threads[t]);
      g_free (self->threads);
    }
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->start_cond);
  g_cond_clear (&self->done_cond);
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      g_free (n->w);
      g_free (n->b);
      g_free (n->gamma);
      g_free (n->beta);
      g_free (n->rmean);
      g_free (n->rvar);
      g_free (n->frozen_scale);
      g_free (n->gw);
      g_free (n->gb);
      g_free (n->ggamma);
      g_free (n->gbeta);
      g_free (n->wq);
      g_free (n->w_step);
      g_free (n->g_w_step);
      g_free (n->wq_b);
    }
  for (guint s = 0; s < self->n_shards && self->shards != NULL; s++)
    {
      Shard *sh = &self->shards[s];
      for (guint t = 0; t < self->n_tensors; t++)
        {
          g_free (sh->act[t]);
          g_free (sh->grad[t]);
          g_free (sh->pre[t]);
        }
      g_free (sh->pre);
      g_free (sh->galpha);
      g_free (sh->teacher);
      g_free (sh->gmix_a);
      g_free (sh->mix_tmp);
      for (guint i = 0; i < self->n_nodes; i++)
        {
          NodeShard *ns = &sh->ns[i];
          g_free (ns->z);
          g_free (ns->bmean);
          g_free (ns->bvar);
          g_free (ns->gw);
          g_free (ns->gb);
          g_free (ns->ggamma);
          g_free (ns->gbeta);
        }
      g_free (sh->act);
      g_free (sh->grad);
      g_free (sh->ns);
      g_free (sh->scratch);
    }
  g_free (self->shards);
  g_free (self->nodes);
  g_free (self->tsize);
  g_free (self->eval_logits);
  g_free (self->cur_w);
  g_free (self->cur_a);
  g_free (self->alpha);
  g_free (self->g_alpha);
  g_clear_pointer (&self->fixed, fb_precision_config_free);
  fb_optimizer_free (self->optim);
  g_clear_pointer (&self->network, fb_network_unref);
  g_free (self);
}

static void
conv_geometry (const Node *n, guint batch, FbNnConv *g)
{
  const FbLayer *l = n->layer;
  fb_nn_conv_init (g, batch, l->in_shape.h, l->in_shape.w, l->in_shape.c, l->out_shape.c,
                   l->kernel_h, l->kernel_w, l->stride_h, l->stride_w,
                   l->pad_top, l->pad_bottom, l->pad_left, l->pad_right);
}

/* He-normal: keeps the activation variance through ReLU layers. */
static void
init_normal (GRand *rand, float *w, gsize n, double std)
{
  for (gsize i = 0; i < n; i += 2)
    {
      double u1 = g_rand_double (rand), u2 = g_rand_double (rand);
      double r = sqrt (-2.0 * log (1.0 - u1)) * std;
      w[i] = (float) (r * cos (2 * G_PI * u2));
      if (i + 1 < n)
        w[i + 1] = (float) (r * sin (2 * G_PI * u2));
    }
}

static gboolean
copy_param (FbWeights *init, const char *origin, const Node *n, const char *param, float *dst,
            guint n_dims, const guint *dims, GError **error)
{
  const FbWeightsTensor *t = fb_weights_require (init, n->layer->name, param, n_dims, dims,
                                                 origin, error);
  if (t == NULL)
    return FALSE;
  memcpy (dst, t->data, t->n * sizeof (float));
  return TRUE;
}

/* Parameters, from @init or freshly initialized. */
static gboolean
init_node (FbTrainer *self, Node *n, GRand *rand, FbWeights *init, const char *origin,
           GError **error)
{
  const FbLayer *l = n->layer;
  guint c = l->out_shape.c, cdims[1] = { c };

  n->n_w = 1;
  for (guint d = 0; d < n->w_ndims; d++)
    n->n_w *= n->w_dims[d];
  n->w = alloc_floats (n->n_w);

  if (n->kind == NODE_LINEAR)
    {
      guint bdims[1] = { l->cout };
      n->b = alloc_floats (l->cout);
      if (init != NULL)
        return copy_param (init, origin, n, "weight", n->w, n->w_ndims, n->w_dims, error) &&
               copy_param (init, origin, n, "bias", n->b, 1, bdims, error);
      if (l->output == self->logits)
        {
          /* PyTorch's default for the classifier: small uniform weights. */
          double bound = 1.0 / sqrt (l->cin);
          for (gsize k = 0; k < n->n_w; k++)
            n->w[k] = (float) g_rand_double_range (rand, -bound, bound);
        }
      else
        init_normal (rand, n->w, n->n_w, sqrt (2.0 / l->cin));
      return TRUE;
    }

  n->gamma = alloc_floats (c);
  n->beta = alloc_floats (c);
  n->rmean = alloc_floats (c);
  n->rvar = alloc_floats (c);
  if (init != NULL)
    {
      if (!copy_param (init, origin, n, "weight", n->w, n->w_ndims, n->w_dims, error) ||
          !copy_param (init, origin, n, "bn_gamma", n->gamma, 1, cdims, error) ||
          !copy_param (init, origin, n, "bn_beta", n->beta, 1, cdims, error) ||
          !copy_param (init, origin, n, "bn_mean", n->rmean, 1, cdims, error) ||
          !copy_param (init, origin, n, "bn_var", n->rvar, 1, cdims, error))
        return FALSE;
      for (guint k = 0; k < c; k++)
        if (n->rvar[k] < 0.0f)
          {
            g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                         _("%s: layer \"%s\": bn_var[%u] is negative (%g)"), origin, l->name, k,
                         n->rvar[k]);
            return FALSE;
          }
      n->bn_frozen = TRUE;
      for (guint k = 0; k < c; k++)
        n->bn_frozen = n->bn_frozen && n->rvar[k] == 1.0f - FB_NN_BN_EPS;
      if (n->bn_frozen)
        {
          /* γ and σ never change (no gradient, no running update): the
           * backward's scale is computed once. */
          n->frozen_scale = alloc_floats (c);
          for (guint k = 0; k < c; k++)
            n->frozen_scale[k] = n->gamma[k] / sqrtf (n->rvar[k] + FB_NN_BN_EPS);
        }
      return TRUE;
    }
  init_normal (rand, n->w, n->n_w,
               sqrt (2.0 / (l->kernel_h * l->kernel_w * (n->kind == NODE_CONV ? l->cin : 1))));
  for (guint k = 0; k < c; k++)
    {
      n->gamma[k] = 1.0f;
      n->rvar[k] = 1.0f;
    }
  return TRUE;
}

static gboolean
init_relu_max (Node *n, FbWeights *init, const char *origin, GError **error)
{
  const FbWeightsTensor *t = init != NULL ? fb_weights_lookup (init, n->layer->name, "relu_max") : NULL;

  if (t == NULL)
    return TRUE;
  if (t->n != 1 || !(t->data[0] > 0.0f) || !n->relu)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: layer \"%s\": \"relu_max\" must be one positive value on a layer with ReLU"),
                   origin, n->layer->name);
      return FALSE;
    }
  n->relu_max = t->data[0];
  return TRUE;
}

/* Backward of a frozen batch norm (Node.bn_frozen): the fixed affine map
 * y = γ/σ · z + …, ReLU-masked; γ and β get no gradient (they stay the
 * model's). In place on @dy, which becomes d(conv output). */
static void
frozen_bn_backward (const Node *n, gsize m, guint c, const float *y, float *dy)
{
  const float *scale = n->frozen_scale;

  for (gsize r = 0; r < m; r++)
    for (guint k = 0; k < c; k++)
      {
        gsize e = r * c + k;
        dy[e] = n->relu && y[e] <= 0.0f ? 0.0f : dy[e] * scale[k];
      }
}

/* min(y, relu_max) after the ReLU; backward: no gradient where it clipped. */
static void
clip_relu_max (const Node *n, gsize size, float *y)
{
  if (n->relu_max > 0.0f)
    for (gsize k = 0; k < size; k++)
      y[k] = MIN (y[k], n->relu_max);
}

static void
clip_relu_max_backward (const Node *n, gsize size, const float *y, float *dy)
{
  if (n->relu_max > 0.0f)
    for (gsize k = 0; k < size; k++)
      if (y[k] >= n->relu_max)
        dy[k] = 0.0f;
}

static void
pool_geometry (const Node *n, guint batch, FbNnConv *g)
{
  const FbLayer *l = n->layer;
  fb_nn_conv_init (g, batch, l->in_shape.h, l->in_shape.w, l->in_shape.c, l->out_shape.c,
                   l->kernel_h, l->kernel_w, l->stride_h, l->stride_w,
                   l->pad_top, l->pad_bottom, l->pad_left, l->pad_right);
}

/* Step totals and quantization state of a weighted node. */
static gboolean
init_node_quant (FbTrainer *self, Node *n, FbWeights *init, const char *origin, GError **error)
{
  const FbLayer *l = n->layer;
  guint cout = l->out_shape.c;
  const FbWeightsTensor *t = NULL;

  n->gw = alloc_floats (n->n_w);
  if (n->kind == NODE_LINEAR)
    n->gb = alloc_floats (l->cout);
  else
    {
      n->ggamma = alloc_floats (cout);
      n->gbeta = alloc_floats (cout);
    }
  switch (n->kind)
    {
    case NODE_DEPTHWISE:
      n->wq_outer = l->kernel_h * l->kernel_w;
      n->n_wch = cout;
      n->wq_inner = 1;
      break;
    case NODE_LINEAR:
      if (l->output == self->logits)
        {
          /* One scale for the whole classifier: its int32 logits share a unit. */
          n->wq_outer = 1;
          n->n_wch = 1;
          n->wq_inner = (guint) n->n_w;
          break;
        }
      /* fall through */
    default:
      n->wq_outer = 1;
      n->n_wch = cout;
      n->wq_inner = (guint) (n->n_w / cout);
      break;
    }
  n->wq = alloc_floats (n->n_w);
  n->w_step = alloc_floats (3 * n->n_wch);
  n->g_w_step = alloc_floats (3 * n->n_wch);

  if (init != NULL && fb_weights_lookup (init, l->name, "w_step") != NULL)
    {
      guint dims[2] = { 3, cout };
      t = fb_weights_require (init, l->name, "w_step", 2, dims, origin, error);
      if (t == NULL)
        return FALSE;
      for (guint b = 0; b < 3; b++)
        for (guint c = 0; c < n->n_wch; c++)
          {
            float v = t->data[b * cout + c];
            if (!(v > 0.0f) || !isfinite (v))
              {
                g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                             _("%s: layer \"%s\": w_step[%u][%u] must be a positive number, not %g"),
                             origin, l->name, b, c, v);
                return FALSE;
              }
            n->w_step[b * n->n_wch + c] = v;
          }
      return TRUE;
    }
  refresh_w8_steps (n);
  for (guint b = 1; b < 3; b++)
    fb_fake_quant_weights_init_step (n->wq_outer, n->n_wch, n->wq_inner, n->w,
                                     fb_fake_quant_index_bits (b), n->w_step + b * n->n_wch);
  return TRUE;
}

/* α of every activation tensor from @init, if it has them all. */
static gboolean
init_alpha (FbTrainer *self, FbWeights *init, const char *origin, GError **error)
{
  guint found = 0, wanted = 0;

  self->alpha = alloc_floats ((gsize) self->n_tensors * 3);
  self->g_alpha = alloc_floats ((gsize) self->n_tensors * 3);
  for (guint t = 0; t < self->n_tensors; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (self->network, t);
      const FbLayer *prod;
      const FbWeightsTensor *wt;
      guint dims[1] = { 3 };

      if (ten->kind != FB_TENSOR_ACTIVATION)
        continue;
      wanted++;
      prod = fb_network_get_layer (self->network, (guint) ten->producer);
      if (init == NULL || fb_weights_lookup (init, prod->name, "act_alpha") == NULL)
        continue;
      wt = fb_weights_require (init, prod->name, "act_alpha", 1, dims, origin, error);
      if (wt == NULL)
        return FALSE;
      for (guint b = 0; b < 3; b++)
        {
          if (!(wt->data[b] > 0.0f) || !isfinite (wt->data[b]))
            {
              g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                           _("%s: layer \"%s\": act_alpha[%u] must be a positive number, not %g"),
                           origin, prod->name, b, wt->data[b]);
              return FALSE;
            }
          self->alpha[t * 3 + b] = wt->data[b];
        }
      found++;
    }
  if (found != 0 && found != wanted)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: act_alpha is given for %u of the %u activation tensors"), origin, found, wanted);
      return FALSE;
    }
  self->alpha_ready = found == wanted;
  return TRUE;
}

static void
init_shard (FbTrainer *self, Shard *sh, guint index, guint cap)
{
  gsize scratch = 0;

  sh->owner = self;
  sh->index = index;
  sh->act = g_new0 (float *, self->n_tensors);
  sh->grad = g_new0 (float *, self->n_tensors);
  sh->pre = g_new0 (float *, self->n_tensors);
  sh->galpha = g_new0 (double, (gsize) self->n_tensors * 3);
  sh->teacher = alloc_floats ((gsize) cap * self->n_classes);
  sh->ns = g_new0 (NodeShard, self->n_nodes);
  for (guint t = 0; t < self->n_tensors; t++)
    {
      FbTensorKind kind = fb_network_get_tensor (self->network, t)->kind;
      sh->act[t] = alloc_floats (self->tsize[t] * cap);
      if (t != self->input)
        sh->grad[t] = alloc_floats (self->tsize[t] * cap);
      if (kind == FB_TENSOR_ACTIVATION || kind == FB_TENSOR_POOLED)
        sh->pre[t] = alloc_floats (self->tsize[t] * cap);
    }
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      NodeShard *ns = &sh->ns[i];
      guint c = n->layer->out_shape.c;

      if (n->w == NULL)
        continue;
      ns->gw = alloc_floats (n->n_w);
      if (n->kind == NODE_LINEAR)
        {
          ns->gb = alloc_floats (n->layer->cout);
          continue;
        }
      ns->ggamma = alloc_floats (c);
      ns->gbeta = alloc_floats (c);
      ns->bmean = alloc_floats (c);
      ns->bvar = alloc_floats (c);
      ns->z = alloc_floats (n->out_size * cap);
      if (n->kind == NODE_CONV)
        {
          FbNnConv g;
          conv_geometry (n, cap, &g);
          scratch = MAX (scratch, fb_nn_conv2d_scratch_size (&g));
        }
    }
  sh->scratch = alloc_floats (scratch);
}

FbTrainer *
fb_trainer_new (FbNetwork *network, const FbTrainOptions *options, FbWeights *init,
                const char *init_origin, GError **error)
{
  g_autoptr(FbTrainer) self = g_new0 (FbTrainer, 1);
  g_autoptr(GRand) rand = NULL;
  guint32 seeds[2] = { options->seed, 0x1417u };
  guint shard_cap;

  g_return_val_if_fail (options->batch_size > 0 && options->shards > 0, NULL);
  g_mutex_init (&self->lock);
  g_cond_init (&self->start_cond);
  g_cond_init (&self->done_cond);
  if (init_origin == NULL)
    init_origin = "weights";
  if (init != NULL && g_strcmp0 (fb_weights_get_network_sha256 (init), fb_network_get_sha256 (network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("%s: weights made for network \"%s\", not for \"%s\" (network_sha256 differs)"),
                   init_origin, fb_weights_get_network_name (init), fb_network_get_name (network));
      return NULL;
    }

  self->network = fb_network_ref (network);
  self->opt = *options;
  self->cap = options->batch_size;
  self->test_accuracy = self->test_loss = NAN;
  self->test_w4a4 = self->test_w2a2 = NAN;
  self->n_nodes = fb_network_get_n_layers (network);
  self->nodes = g_new0 (Node, self->n_nodes);
  self->n_tensors = fb_network_get_n_tensors (network);
  self->tsize = g_new0 (gsize, self->n_tensors);
  self->input = fb_network_get_input (network)->index;
  self->logits = fb_network_get_logits (network)->index;
  self->n_classes = fb_network_get_logits (network)->shape.c;
  self->eval_logits = alloc_floats ((gsize) self->cap * self->n_classes);
  for (guint t = 0; t < self->n_tensors; t++)
    self->tsize[t] = shape_size (fb_network_get_tensor (network, t)->shape);

  rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      const FbLayer *l = fb_network_get_layer (network, i);

      n->layer = l;
      n->relu = l->relu;
      n->out_size = shape_size (l->out_shape);
      if (!init_relu_max (n, init, init_origin, error))
        return NULL;
      switch (l->op)
        {
        case FB_OP_CONV2D:
          n->kind = NODE_CONV;
          n->w_ndims = 4;
          n->w_dims[0] = l->cout;
          n->w_dims[1] = l->kernel_h;
          n->w_dims[2] = l->kernel_w;
          n->w_dims[3] = l->cin;
          break;
        case FB_OP_DEPTHWISE_CONV2D:
          n->kind = NODE_DEPTHWISE;
          n->w_ndims = 3;
          n->w_dims[0] = l->kernel_h;
          n->w_dims[1] = l->kernel_w;
          n->w_dims[2] = l->out_shape.c;
          break;
        case FB_OP_LINEAR:
          n->kind = NODE_LINEAR;
          n->w_ndims = 2;
          n->w_dims[0] = l->cout;
          n->w_dims[1] = l->cin;
          break;
        case FB_OP_ADD:
          n->kind = NODE_ADD;
          continue;
        case FB_OP_GLOBAL_AVG_POOL:
        case FB_OP_AVG_POOL2D:
        case FB_OP_MAX_POOL2D:
          n->kind = NODE_POOL;
          continue;
        default:
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, _("layer \"%s\": op %s cannot be trained"),
                       l->name, fb_op_to_string (l->op));
          return NULL;
        }
      if (!init_node (self, n, rand, init, init_origin, error) ||
          !init_node_quant (self, n, init, init_origin, error))
        return NULL;
    }
  self->cur_w = g_new0 (guint8, self->n_nodes);
  self->cur_a = g_new0 (guint8, self->n_tensors);
  if (!init_alpha (self, init, init_origin, error))
    return NULL;

  /* Shards: their number is an option (batch-norm statistics are per
   * shard), the threads that run them are what the machine offers. */
  self->n_shards = MIN (options->shards, options->batch_size);
  shard_cap = (self->cap + self->n_shards - 1) / self->n_shards;
  self->shards = g_new0 (Shard, self->n_shards);
  for (guint s = 0; s < self->n_shards; s++)
    init_shard (self, &self->shards[s], s, shard_cap);

  self->optim = fb_optimizer_new_sgd (options->momentum, options->nesterov, options->weight_decay);
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      const char *name = n->layer->name;
      guint c = n->layer->out_shape.c;

      if (n->w == NULL)
        continue;
      fb_optimizer_add (self->optim, name, "weight", n->w, n->gw, n->n_w, TRUE);
      if (n->kind == NODE_LINEAR)
        fb_optimizer_add (self->optim, name, "bias", n->b, n->gb, n->layer->cout, FALSE);
      else
        {
          fb_optimizer_add (self->optim, name, "bn_gamma", n->gamma, n->ggamma, c, FALSE);
          fb_optimizer_add (self->optim, name, "bn_beta", n->beta, n->gbeta, c, FALSE);
        }
      /* Learned steps and clipping values: no weight decay (it would only
       * shrink the ranges). */
      if (options->quant != FB_TRAIN_FLOAT)
        fb_optimizer_add (self->optim, name, "w_step", n->w_step, n->g_w_step, 3 * n->n_wch, FALSE);
    }
  if (options->quant != FB_TRAIN_FLOAT)
    for (guint t = 0; t < self->n_tensors; t++)
      {
        const FbTensor *ten = fb_network_get_tensor (network, t);
        if (ten->kind == FB_TENSOR_ACTIVATION)
          fb_optimizer_add (self->optim, fb_network_get_layer (network, (guint) ten->producer)->name,
                            "act_alpha", self->alpha + t * 3, self->g_alpha + t * 3, 3, FALSE);
      }

  self->n_threads = MIN (fb_nn_threads_init (), self->n_shards);
  if (self->n_threads > 1)
    {
      self->threads = g_new0 (GThread *, self->n_threads);
      for (guint t = 1; t < self->n_threads; t++)
        {
          /* The worker's first shard carries (owner, thread index). */
          Shard *first = &self->shards[t];
          self->threads[t] = g_thread_try_new ("fb-trainer", worker_main, first, error);
          if (self->threads[t] == NULL)
            return NULL;
        }
    }
  return g_steal_pointer (&self);
}

const FbTrainOptions *fb_trainer_get_options (FbTrainer *self) { return &self->opt; }
FbNetwork *fb_trainer_get_network (FbTrainer *self) { return self->network; }
guint fb_trainer_get_epoch (FbTrainer *self) { return self->epoch; }
guint fb_trainer_get_step (FbTrainer *self) { return self->step; }
double fb_trainer_get_test_accuracy (FbTrainer *self) { return self->test_accuracy; }

gboolean
fb_trainer_is_finished (FbTrainer *self)
{
  return self->epoch >= self->opt.epochs;
}

/* ---- forward / backward of one shard ----------------------------------------- */

static inline float
tensor_levels (FbTrainer *self, guint t, guint bits)
{
  return (float) fb_fake_quant_act_levels (bits, tensor_signed (self, t));
}

/* α of tensor @t at @bits: a pooled tensor has its source's scale. */
static inline float
tensor_alpha (FbTrainer *self, guint t, guint bits)
{
  guint src = fb_network_get_tensor (self->network, t)->bits_source;
  return self->alpha[src * 3 + fb_fake_quant_bits_index (bits)];
}

/* ---- mixed pass (differentiable precision search) ------------------------
 *
 * EdMIPS's relaxation: a tensor is the probability-weighted sum of its
 * quantized branches, y = Σ_b p_b Q_b(x); its gradient reaches x through each
 * branch's straight-through estimator, and p_b gets Σ dy · Q_b(x). */

#define MIXED_BITS 255

static void
mixed_act_forward (Shard *sh, guint t, gboolean pool, gsize size, const float *x, float *y)
{
  FbTrainer *self = sh->owner;
  guint src = fb_network_get_tensor (self->network, t)->bits_source;

  if (!pool)
    {
      if (tensor_signed (self, t))
        fb_fake_quant_act_signed_mix_forward (size, x, self->alpha + src * 3, self->mix_a + src * 3, y);
      else
        fb_fake_quant_act_mix_forward (size, x, self->alpha + src * 3, self->mix_a + src * 3, y);
      return;
    }
  memset (y, 0, size * sizeof (float));
  for (guint b = 0; b < 3; b++)
    {
      float p = self->mix_a[src * 3 + b];
      guint bits = fb_fake_quant_index_bits (b);
      if (p == 0.0f)
        continue;
      fb_fake_quant_round_forward (size, x, self->alpha[src * 3 + b] / tensor_levels (self, t, bits), sh->mix_tmp);
      for (gsize k = 0; k < size; k++)
        y[k] += p * sh->mix_tmp[k];
    }
}

/* @dy (in place) becomes d(x); adds dL/dp to the shard's gmix_a. */
static void
mixed_act_backward (Shard *sh, guint t, gboolean pool, gsize size, const float *x, float *dy)
{
  FbTrainer *self = sh->owner;
  guint src = fb_network_get_tensor (self->network, t)->bits_source;

  if (!pool)
    {
      double gp[3] = { 0.0, 0.0, 0.0 };
      if (tensor_signed (self, t))
        fb_fake_quant_act_signed_mix_backward (size, x, self->alpha + src * 3, self->mix_a + src * 3, dy, dy, gp);
      else
        fb_fake_quant_act_mix_backward (size, x, self->alpha + src * 3, self->mix_a + src * 3, dy, dy, gp);
      for (guint b = 0; b < 3; b++)
        if (self->mix_a[src * 3 + b] != 0.0f)
          sh->gmix_a[src * 3 + b] += gp[b];
      return;
    }
  /* The pool output: rounded at each branch's step, no clipping, so the
   * gradient passes straight through every branch: dx = Σ_b p_b·dy. */
  {
    float psum = 0.0f;
    for (guint b = 0; b < 3; b++)
      {
        float p = self->mix_a[src * 3 + b];
        guint bits = fb_fake_quant_index_bits (b);
        double g = 0.0;
        if (p == 0.0f)
          continue;
        psum += p;
        fb_fake_quant_round_forward (size, x, self->alpha[src * 3 + b] / tensor_levels (self, t, bits), sh->mix_tmp);
        for (gsize k = 0; k < size; k++)
          g += (double) dy[k] * sh->mix_tmp[k];
        sh->gmix_a[src * 3 + b] += g;
      }
    for (gsize k = 0; k < size; k++)
      dy[k] *= psum;
  }
}

void
forward (Shard *sh, gboolean train)
{
  FbTrainer *self = sh->owner;
  guint batch = sh->n;

  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      NodeShard *ns = &sh->ns[i];
      const FbLayer *l = n->layer;
      const float *x = sh->act[l->inputs[0]];
      guint qa = self->cur_a[l->output];
      /* A quantized output is computed into pre, then rounded into act. */
      float *y = qa ? sh->pre[l->output] : sh->act[l->output];
      const float *w = self->cur_w[i] ? n->wq : n->w;
      gsize m = (gsize) batch * l->out_shape.h * l->out_shape.w;
      gsize size = (gsize) batch * n->out_size;
      guint c = l->out_shape.c;
      FbNnConv g;

      switch (n->kind)
        {
        case NODE_CONV:
        case NODE_DEPTHWISE:
          conv_geometry (n, batch, &g);
          if (n->kind == NODE_CONV)
            fb_nn_conv2d_forward (&g, x, w, ns->z, sh->scratch);
          else
            fb_nn_depthwise_forward (&g, x, w, ns->z);
          if (train && !n->bn_frozen)
            fb_nn_batch_norm_train_forward ((guint) m, c, ns->z, n->gamma, n->beta, n->relu, y,
                                            ns->bmean, ns->bvar);
          else
            fb_nn_batch_norm_eval_forward ((guint) m, c, ns->z, n->gamma, n->beta, n->rmean,
                                           n->rvar, n->relu, y);
          break;
        case NODE_LINEAR:
          fb_nn_linear_forward (batch, l->cin, l->cout, x, w, n->b, y);
          if (n->relu)
            fb_nn_relu_forward ((gsize) batch * l->cout, y, y);
          break;
        case NODE_ADD:
          fb_nn_add_forward (size, x, sh->act[l->inputs[1]], n->relu, y);
          break;
        case NODE_POOL:
          if (l->op == FB_OP_GLOBAL_AVG_POOL)
            fb_nn_global_avg_pool_forward (batch, l->in_shape.h * l->in_shape.w, c, x, y);
          else
            {
              pool_geometry (n, batch, &g);
              if (l->op == FB_OP_AVG_POOL2D)
                fb_nn_avg_pool2d_forward (&g, l->count_include_pad, x, y);
              else
                fb_nn_max_pool2d_forward (&g, x, y);
            }
          break;
        }
      clip_relu_max (n, size, y);
      if (qa == 0)
        continue;
      if (qa == MIXED_BITS)
        mixed_act_forward (sh, l->output, n->kind == NODE_POOL, size, y, sh->act[l->output]);
      else if (n->kind == NODE_POOL)
        fb_fake_quant_round_forward (size, y, tensor_alpha (self, l->output, qa) / tensor_levels (self, l->output, qa),
                                     sh->act[l->output]);
      else if (tensor_signed (self, l->output))
        fb_fake_quant_act_signed_forward (size, y, tensor_alpha (self, l->output, qa), qa, sh->act[l->output]);
      else
        fb_fake_quant_act_forward (size, y, tensor_alpha (self, l->output, qa), qa, sh->act[l->output]);
    }
}

static void
backward (Shard *sh)
{
  FbTrainer *self = sh->owner;
  guint batch = sh->n;

  /* Gradients accumulate (a tensor may feed several layers), so start from
   * zero everywhere but at the loss. */
  for (guint t = 0; t < self->n_tensors; t++)
    if (sh->grad[t] != NULL && t != self->logits)
      memset (sh->grad[t], 0, (gsize) batch * self->tsize[t] * sizeof (float));
  memset (sh->galpha, 0, (gsize) self->n_tensors * 3 * sizeof (double));
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      NodeShard *ns = &sh->ns[i];
      if (ns->gw != NULL)
        memset (ns->gw, 0, n->n_w * sizeof (float));
      if (ns->gb != NULL)
        memset (ns->gb, 0, n->layer->cout * sizeof (float));
      if (ns->ggamma != NULL)
        {
          memset (ns->ggamma, 0, n->layer->out_shape.c * sizeof (float));
          memset (ns->gbeta, 0, n->layer->out_shape.c * sizeof (float));
        }
    }

  for (guint i = self->n_nodes; i-- > 0;)
    {
      Node *n = &self->nodes[i];
      NodeShard *ns = &sh->ns[i];
      const FbLayer *l = n->layer;
      const float *x = sh->act[l->inputs[0]];
      float *dx = sh->grad[l->inputs[0]];
      guint qa = self->cur_a[l->output];
      const float *y = qa ? sh->pre[l->output] : sh->act[l->output];
      const float *w = self->cur_w[i] ? n->wq : n->w;
      float *dy = sh->grad[l->output];
      gsize m = (gsize) batch * l->out_shape.h * l->out_shape.w;
      gsize size = (gsize) batch * n->out_size;
      guint c = l->out_shape.c;
      FbNnConv g;

      /* Through the fake quantization first: dy becomes d(pre) in place. */
      if (qa == MIXED_BITS)
        mixed_act_backward (sh, l->output, n->kind == NODE_POOL, size, y, dy);
      else if (qa != 0)
        {
          guint src = fb_network_get_tensor (self->network, l->output)->bits_source;
          float qmax = tensor_levels (self, l->output, qa);
          float alpha = tensor_alpha (self, l->output, qa);
          double *ga = &sh->galpha[src * 3 + fb_fake_quant_bits_index (qa)];
          if (n->kind == NODE_POOL)
            *ga += fb_fake_quant_round_backward (size, y, alpha / qmax, dy) / qmax;
          else if (tensor_signed (self, l->output))
            *ga += fb_fake_quant_act_signed_backward (size, y, alpha, qa, dy, dy);
          else
            *ga += fb_fake_quant_act_backward (size, y, alpha, qa, dy, dy);
        }

      clip_relu_max_backward (n, size, y, dy);
      switch (n->kind)
        {
        case NODE_CONV:
        case NODE_DEPTHWISE:
          /* dy becomes d(pre-normalization output) in place: every reader of
           * this tensor has already added its share. */
          if (n->bn_frozen)
            frozen_bn_backward (n, m, c, y, dy);
          else
            fb_nn_batch_norm_backward ((guint) m, c, ns->z, y, n->gamma, ns->bmean, ns->bvar,
                                       n->relu, dy, dy, ns->ggamma, ns->gbeta);
          conv_geometry (n, batch, &g);
          if (n->kind == NODE_CONV)
            fb_nn_conv2d_backward (&g, x, w, dy, ns->gw, dx, sh->scratch);
          else
            fb_nn_depthwise_backward (&g, x, w, dy, ns->gw, dx);
          break;
        case NODE_LINEAR:
          if (n->relu)
            for (gsize k = 0; k < (gsize) batch * l->cout; k++)
              if (y[k] <= 0.0f)
                dy[k] = 0.0f;
          fb_nn_linear_backward (batch, l->cin, l->cout, x, w, dy, ns->gw, ns->gb, dx);
          break;
        case NODE_ADD:
          fb_nn_add_backward (size, y, n->relu, dy, dx, sh->grad[l->inputs[1]]);
          break;
        case NODE_POOL:
          if (dx == NULL)
            break;
          if (l->op == FB_OP_GLOBAL_AVG_POOL)
            fb_nn_global_avg_pool_backward (batch, l->in_shape.h * l->in_shape.w, c, dy, dx);
          else
            {
              pool_geometry (n, batch, &g);
              if (l->op == FB_OP_AVG_POOL2D)
                fb_nn_avg_pool2d_backward (&g, l->count_include_pad, dy, dx);
              else
                fb_nn_max_pool2d_backward (&g, x, y, dy, dx);
            }
          break;
        }
    }
}

void
shard_load_input (Shard *sh)
{
  FbTrainer *self = sh->owner;
  memcpy (sh->act[self->input], sh->x, (gsize) sh->n * self->tsize[self->input] * sizeof (float));
}

static void
shard_train (Shard *sh)
{
  FbTrainer *self = sh->owner;
  float *dlogits = sh->grad[self->logits];
  const float *logits;
  float scale;

  if (sh->n == 0)
    return;
  shard_load_input (sh);
  forward (sh, TRUE);
  logits = sh->act[self->logits];
  if (sh->targets != NULL)
    sh->loss = fb_nn_mse (sh->n, self->n_classes, logits, sh->targets, dlogits);
  else if (self->role == ROLE_STUDENT)
    {
      /* In-place distillation: the all-8 pass's predictions are the target;
       * accuracy still counts against the labels. */
      sh->loss = fb_nn_soft_cross_entropy (sh->n, self->n_classes, logits, sh->teacher, dlogits);
      fb_nn_softmax_cross_entropy (sh->n, self->n_classes, logits, sh->labels, NULL, &sh->correct);
    }
  else
    sh->loss = fb_nn_softmax_cross_entropy (sh->n, self->n_classes, logits, sh->labels, dlogits,
                                            &sh->correct);
  if (self->role == ROLE_TEACHER && sh->targets == NULL)
    fb_nn_softmax (sh->n, self->n_classes, logits, sh->teacher);
  /* The loss is the mean over the whole batch (not the shard) and over the
   * configs of the step. */
  scale = (float) sh->n / (float) sh->batch_n * self->pass_scale;
  for (gsize k = 0; k < (gsize) sh->n * self->n_classes; k++)
    dlogits[k] *= scale;
  backward (sh);
}

void
shard_eval (Shard *sh)
{
  if (sh->n == 0)
    return;
  shard_load_input (sh);
  forward (sh, FALSE);
}

/* Splits @n images into the shards, in order. */
void
assign_shards (FbTrainer *self, const float *x, const guint8 *labels, guint n)
{
  gsize in = self->tsize[self->input];

  for (guint s = 0; s < self->n_shards; s++)
    {
      Shard *sh = &self->shards[s];
      guint lo = (guint) ((guint64) n * s / self->n_shards);
      guint hi = (guint) ((guint64) n * (s + 1) / self->n_shards);
      sh->x = x + (gsize) lo * in;
      sh->labels = labels != NULL ? labels + lo : NULL;
      sh->targets = NULL;
      sh->n = hi - lo;
      sh->batch_n = n;
      sh->loss = 0.0;
      sh->correct = 0;
    }
}

/* 8-bit weight steps are not learned: max|w_c| / 127 (CONVENTIONS.md's
 * rule) of the current weights. At 8 bit that rule loses nothing measurable,
 * and LSQ's step gradient, 127·dwq for every clipped weight against a step
 * 16× smaller than the 4-bit one, drove 8-bit steps to 0 or 300× their
 * size within 100 supernet steps (measured), whatever the learning rate. */
void
refresh_w8_steps (Node *n)
{
  for (guint c = 0; c < n->n_wch; c++)
    {
      float amax = 0.0f;
      for (guint o = 0; o < n->wq_outer; o++)
        for (guint i = 0; i < n->wq_inner; i++)
          amax = MAX (amax, fabsf (n->w[((gsize) o * n->n_wch + c) * n->wq_inner + i]));
      n->w_step[c] = amax > 0.0f ? amax / 127.0f : 1e-3f;
    }
}

/* Bits of the passes that follow (NULL: float), weights quantized. */
void
set_config (FbTrainer *self, FbPrecisionConfig *config)
{
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      guint b = 0;
      if (n->w == NULL)
        continue;
      if (config != NULL)
        b = fb_precision_config_get_weight_bits (config, i);
      self->cur_w[i] = (guint8) b;
      if (b == 8)
        refresh_w8_steps (n);
      if (b != 0)
        fb_fake_quant_weights_forward (n->wq_outer, n->n_wch, n->wq_inner, n->w,
                                       n->w_step + fb_fake_quant_bits_index (b) * n->n_wch, b, n->wq);
    }
  for (guint t = 0; t < self->n_tensors; t++)
    {
      FbTensorKind kind = fb_network_get_tensor (self->network, t)->kind;
      self->cur_a[t] = config != NULL && (kind == FB_TENSOR_ACTIVATION || kind == FB_TENSOR_POOLED)
                         ? (guint8) fb_precision_config_get_tensor_bits (config, t) : 0;
    }
}

/* ---- shards of other processes ----------------------------------------------- */

void
fb_trainer_set_shard_split (FbTrainer *self, const FbTrainerShardSplit *split)
{
  self->split = split != NULL ? *split : (FbTrainerShardSplit) { 0 };
}

static void
copy_record (guint8 *record, gsize *at, gpointer data, gsize bytes, gboolean unpack)
{
  if (data != NULL && record != NULL)
    memcpy (unpack ? data : record + *at, unpack ? record + *at : data, bytes);
  *at += data != NULL ? bytes : 0;
}

/* What reduce_pass reads of a shard, into @record (or out of it with
 * @unpack); returns its size (@record NULL: only the size). */
static gsize
shard_record (FbTrainer *self, Shard *sh, guint8 *record, gboolean unpack)
{
  gsize at = 0;
  double correct = sh->correct;

  copy_record (record, &at, &sh->loss, sizeof (double), unpack);
  copy_record (record, &at, &correct, sizeof (double), unpack);
  copy_record (record, &at, sh->galpha, (gsize) self->n_tensors * 3 * sizeof (double), unpack);
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      NodeShard *ns = &sh->ns[i];
      gsize c = (gsize) nd->layer->out_shape.c * sizeof (float);
      if (ns->gw == NULL)
        continue;
      copy_record (record, &at, ns->gw, nd->n_w * sizeof (float), unpack);
      copy_record (record, &at, ns->gb, (gsize) nd->layer->cout * sizeof (float), unpack);
      copy_record (record, &at, ns->ggamma, c, unpack);
      copy_record (record, &at, ns->gbeta, c, unpack);
      copy_record (record, &at, ns->bmean, c, unpack);
      copy_record (record, &at, ns->bvar, c, unpack);
    }
  if (unpack)
    sh->correct = (guint) correct;
  return at;
}

static void
shard_train_owned (Shard *sh)
{
  FbTrainer *self = sh->owner;
  if (self->split.owns (sh->index, self->n_shards, self->split.user_data))
    shard_train (sh);
}

/* What fb_trainer_mixed_step reads of a shard (as shard_record). */
static gsize
mixed_record (FbTrainer *self, Shard *sh, guint8 *record, gboolean unpack)
{
  gsize at = 0;
  double correct = sh->correct;

  copy_record (record, &at, &sh->loss, sizeof (double), unpack);
  copy_record (record, &at, &correct, sizeof (double), unpack);
  copy_record (record, &at, sh->gmix_a, (gsize) self->n_tensors * 3 * sizeof (double), unpack);
  for (guint i = 0; i < self->n_nodes; i++)
    if (sh->ns[i].gw != NULL)
      copy_record (record, &at, sh->ns[i].gw, self->nodes[i].n_w * sizeof (float), unpack);
  if (unpack)
    sh->correct = (guint) correct;
  return at;
}

/* After shard_train_owned: every process gets every shard's record. */
static void
exchange_records (FbTrainer *self, gsize (*record) (FbTrainer *, Shard *, guint8 *, gboolean))
{
  gsize size = record (self, &self->shards[0], NULL, FALSE);
  g_autofree guint8 *records = g_malloc0 (size * self->n_shards);

  for (guint s = 0; s < self->n_shards; s++)
    if (self->split.owns (s, self->n_shards, self->split.user_data))
      record (self, &self->shards[s], records + s * size, FALSE);
  self->split.exchange (records, self->n_shards, size, self->split.user_data);
  for (guint s = 0; s < self->n_shards; s++)
    if (!self->split.owns (s, self->n_shards, self->split.user_data))
      record (self, &self->shards[s], records + s * size, TRUE);
}

static void
exchange_shards (FbTrainer *self)
{
  exchange_records (self, shard_record);
}

static void
shard_eval_owned (Shard *sh)
{
  FbTrainer *self = sh->owner;
  if (self->split.owns (sh->index, self->n_shards, self->split.user_data))
    shard_eval (sh);
}

/* After shard_eval_owned: every process gets every shard's logits (records of
 * a shard's capacity). */
static void
exchange_logits (FbTrainer *self)
{
  gsize size = (gsize) ((self->cap + self->n_shards - 1) / self->n_shards) * self->n_classes * sizeof (float);
  g_autofree guint8 *records = g_malloc0 (size * self->n_shards);

  for (guint s = 0; s < self->n_shards; s++)
    if (self->split.owns (s, self->n_shards, self->split.user_data))
      memcpy (records + s * size, self->shards[s].act[self->logits],
              (gsize) self->shards[s].n * self->n_classes * sizeof (float));
  self->split.exchange (records, self->n_shards, size, self->split.user_data);
  for (guint s = 0; s < self->n_shards; s++)
    if (!self->split.owns (s, self->n_shards, self->split.user_data))
      memcpy (self->shards[s].act[self->logits], records + s * size,
              (gsize) self->shards[s].n * self->n_classes * sizeof (float));
}

static void
train_step (FbTrainer *self, const float *x, const guint8 *labels, const float *targets, guint n,
            double lr, double *loss, guint *correct);

void
fb_trainer_train_step (FbTrainer *self, const float *x, const guint8 *labels, guint n, double lr,
                       double *loss, guint *correct)
{
  train_step (self, x, labels, NULL, n, lr, loss, correct);
}

void
fb_trainer_train_step_values (FbTrainer *self, const float *x, const float *targets, guint n, double lr,
                              double *loss)
{
  g_return_if_fail (targets != NULL);
  train_step (self, x, NULL, targets, n, lr, loss, NULL);
}

static void
train_step (FbTrainer *self, const float *x, const guint8 *labels, const float *targets, guint n,
            double lr, double *loss, guint *correct)
{
  g_autoptr(GPtrArray) configs = NULL;
  double loss_sum = 0.0;
  guint first_correct = 0;

  g_return_if_fail (n > 0 && n <= self->cap);
  if (self->opt.quant == FB_TRAIN_SUPERNET)
    configs = fb_supernet_step_configs_bits (self->network, self->opt.seed, self->epoch, self->step,
                                             self->opt.random_configs, self->opt.min_bits);
  else
    {
      configs = g_ptr_array_new ();
      g_ptr_array_add (configs, self->opt.quant == FB_TRAIN_FIXED ? self->fixed : NULL);
    }
  if (self->opt.quant != FB_TRAIN_FLOAT && !self->alpha_ready)
    fb_trainer_calibrate_act_alpha (self, x, n);

  zero_totals (self);
  self->pass_scale = 1.0f / configs->len;
  for (guint p = 0; p < configs->len; p++)
    {
      double pass_loss;
      guint pass_correct;

      set_config (self, g_ptr_array_index (configs, p));
      self->role = !self->opt.distill || self->opt.quant != FB_TRAIN_SUPERNET ? ROLE_HARD
                   : p == 0 ? ROLE_TEACHER : ROLE_STUDENT;
      assign_shards (self, x, labels, n);
      if (targets != NULL)
        for (guint s = 0; s < self->n_shards; s++)
          self->shards[s].targets = targets + (gsize) ((guint64) n * s / self->n_shards) * self->n_classes;
      run_shards (self, self->split.owns != NULL ? shard_train_owned : shard_train);
      if (self->split.owns != NULL)
        exchange_shards (self);
      reduce_pass (self, p == 0, &pass_loss, &pass_correct);
      loss_sum += pass_loss;
      if (p == 0)
        first_correct = pass_correct;
    }
  set_config (self, NULL);
  self->role = ROLE_HARD;
  if (self->opt.quant != FB_TRAIN_FLOAT)
    scale_step_gradients (self);

  fb_optimizer_step (self->optim, lr);
  if (self->opt.quant != FB_TRAIN_FLOAT)
    clamp_steps (self);
  /* Loss: mean over the configs; accuracy: of the first (all-8 for a supernet). */
  if (loss != NULL)
    *loss = loss_sum / configs->len;
  if (correct != NULL)
    *correct = first_correct;
}

const float *
fb_trainer_forward_eval (FbTrainer *self, const float *x, guint n)
{
  g_return_val_if_fail (n > 0 && n <= self->cap, NULL);
  assign_shards (self, x, NULL, n);
  run_shards (self, self->split.owns != NULL ? shard_eval_owned : shard_eval);
  if (self->split.owns != NULL)
    exchange_logits (self);
  for (guint s = 0; s < self->n_shards; s++)
    {
      Shard *sh = &self->shards[s];
      guint lo = (guint) ((guint64) n * s / self->n_shards);
      memcpy (self->eval_logits + (gsize) lo * self->n_classes, sh->act[self->logits],
              (gsize) sh->n * self->n_classes * sizeof (float));
    }
  return self->eval_logits;
}

const float *
fb_trainer_forward_config (FbTrainer *self, FbPrecisionConfig *config, const float *x, guint n)
{
  const float *out;

  g_return_val_if_fail (config == NULL || self->alpha_ready, NULL);
  set_config (self, config);
  out = fb_trainer_forward_eval (self, x, n);
  set_config (self, NULL);
  return out;
}

/* Buffers of the mixed pass, allocated on first use: a supernet that is only
 * trained never pays for them. */
static void
ensure_mixed_buffers (FbTrainer *self)
{
  gsize biggest = 0;

  for (guint t = 0; t < self->n_tensors; t++)
    biggest = MAX (biggest, self->tsize[t]);
  for (guint s = 0; s < self->n_shards; s++)
    {
      Shard *sh = &self->shards[s];
      guint cap = (self->cap + self->n_shards - 1) / self->n_shards;
      if (sh->gmix_a != NULL)
        continue;
      sh->gmix_a = g_new0 (double, (gsize) self->n_tensors * 3);
      sh->mix_tmp = alloc_floats (biggest * cap);
    }
  for (guint i = 0; i < self->n_nodes; i++)
    if (self->nodes[i].w != NULL && self->nodes[i].wq_b == NULL)
      self->nodes[i].wq_b = alloc_floats (3 * self->nodes[i].n_w);
}

void
fb_trainer_mixed_step (FbTrainer *self, const float *x, const guint8 *labels, guint n,
                       const float *p_w, const float *p_a, double *loss, guint *correct,
                       double *g_w, double *g_a)
{
  double total_loss;
  guint right, seen;

  g_return_if_fail (n > 0 && n <= self->cap && self->alpha_ready);
  ensure_mixed_buffers (self);
  self->mix_w = p_w;
  self->mix_a = p_a;

  /* Weights: wq = Σ_b p_b Q_b(w), the branches kept for dL/dp. */
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      if (nd->w == NULL)
        continue;
      refresh_w8_steps (nd);
      memset (nd->wq, 0, nd->n_w * sizeof (float));
      for (guint b = 0; b < 3; b++)
        {
          float p = p_w[i * 3 + b], *q = nd->wq_b + b * nd->n_w;
          if (p == 0.0f)
            continue;
          fb_fake_quant_weights_forward (nd->wq_outer, nd->n_wch, nd->wq_inner, nd->w,
                                         nd->w_step + b * nd->n_wch, fb_fake_quant_index_bits (b), q);
          for (gsize k = 0; k < nd->n_w; k++)
            nd->wq[k] += p * q[k];
        }
      self->cur_w[i] = MIXED_BITS;
    }
  for (guint t = 0; t < self->n_tensors; t++)
    {
      FbTensorKind kind = fb_network_get_tensor (self->network, t)->kind;
      self->cur_a[t] = kind == FB_TENSOR_ACTIVATION || kind == FB_TENSOR_POOLED ? MIXED_BITS : 0;
    }

  self->role = ROLE_HARD;
  self->pass_scale = 1.0f;
  for (guint s = 0; s < self->n_shards; s++)
    memset (self->shards[s].gmix_a, 0, (gsize) self->n_tensors * 3 * sizeof (double));
  assign_shards (self, x, labels, n);
  run_shards (self, self->split.owns != NULL ? shard_train_owned : shard_train);
  if (self->split.owns != NULL)
    exchange_records (self, mixed_record);

  shard_totals (self, &total_loss, &right, &seen);
  memset (g_a, 0, (gsize) self->n_tensors * 3 * sizeof (double));
  for (guint s = 0; s < self->n_shards; s++)
    if (self->shards[s].n > 0)
      for (guint k = 0; k < self->n_tensors * 3; k++)
        g_a[k] += self->shards[s].gmix_a[k];
  /* dL/dp_b of a layer's weights = <dL/dwq, Q_b(w)>, summed over shards. */
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      for (guint b = 0; b < 3; b++)
        g_w[i * 3 + b] = 0.0;
      if (nd->w == NULL)
        continue;
      for (guint b = 0; b < 3; b++)
        {
          const float *q = nd->wq_b + b * nd->n_w;
          double g = 0.0;
          if (p_w[i * 3 + b] == 0.0f)
            continue;
          for (guint s = 0; s < self->n_shards; s++)
            if (self->shards[s].n > 0)
              for (gsize k = 0; k < nd->n_w; k++)
                g += (double) self->shards[s].ns[i].gw[k] * q[k];
          g_w[i * 3 + b] = g;
        }
    }
  self->mix_w = self->mix_a = NULL;
  set_config (self, NULL);
  if (loss != NULL)
    *loss = total_loss / n;
  if (correct != NULL)
    *correct = right;
}

gboolean
check_dataset (FbTrainer *self, FbDataset *ds, GError **error)
{
  const FbTensor *in = fb_network_get_input (self->network);

  if (in->shape.h != fb_dataset_get_height (ds) || in->shape.w != fb_dataset_get_width (ds) ||
      in->shape.c != fb_dataset_get_channels (ds))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("network \"%s\" takes %u×%u×%u inputs, but %s holds %u×%u×%u images"),
                   fb_network_get_name (self->network), in->shape.h, in->shape.w, in->shape.c,
                   fb_dataset_get_path (ds), fb_dataset_get_height (ds), fb_dataset_get_width (ds),
                   fb_dataset_get_channels (ds));
      return FALSE;
    }
  if (self->n_classes != fb_dataset_get_n_classes (ds))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   _("network \"%s\" has %u outputs, but %s has %u classes"),
                   fb_network_get_name (self->network), self->n_classes,
                   fb_dataset_get_path (ds), fb_dataset_get_n_classes (ds));
      return FALSE;
    }
  return TRUE;
}

gboolean
fb_trainer_evaluate (FbTrainer *self, FbDataset *dataset, guint limit, GCancellable *cancellable,
                     double *accuracy, double *loss, GError **error)
{
  g_autoptr(FbDataLoader) loader = NULL;
  g_autofree float *x = NULL;
  g_autofree guint8 *labels = g_new (guint8, self->cap);
  double loss_sum = 0.0;
  guint64 right = 0, seen = 0;

  if (!check_dataset (self, dataset, error))
    return FALSE;
  loader = fb_data_loader_new (dataset, FB_DATA_LOADER_EVAL, self->cap, limit, 0);
  x = g_new (float, (gsize) self->cap * self->tsize[fb_network_get_input (self->network)->index]);
  for (guint s = 0; s < fb_data_loader_get_n_batches (loader); s++)
    {
      guint n = fb_data_loader_fill (loader, 0, s, x, labels), ok = 0;
      const float *logits;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      logits = fb_trainer_forward_eval (self, x, n);
      loss_sum += fb_nn_softmax_cross_entropy (n, self->n_classes, logits, labels, NULL, &ok) * n;
      right += ok;
      seen += n;
    }
  if (accuracy != NULL)
    *accuracy = seen ? (double) right / seen : 0.0;
  if (loss != NULL)
    *loss = seen ? loss_sum / seen : 0.0;
  return TRUE;
}
