/* fb-trainer.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "fb-error.h"
#include "fb-fake-quant.h"
#include "fb-json.h"
#include "fb-nn-ops.h"
#include "fb-optimizer.h"
#include "fb-supernet.h"
#include "fb-trainer.h"

/* Lower bounds of learned steps and clipping values: SGD must not drive
 * them through zero. */
#define MIN_W_STEP 1e-7f
#define MIN_ALPHA 1e-4f

#define BN_MOMENTUM 0.1f

typedef enum {
  NODE_CONV,
  NODE_DEPTHWISE,
  NODE_LINEAR,
  NODE_ADD,
  NODE_POOL,
} NodeKind;

/* A layer's parameters, shared by all shards. */
typedef struct {
  const FbLayer *layer;
  NodeKind       kind;
  gboolean       relu;
  /* A bounded ReLU (ONNX Clip(0, max), e.g. ReLU6): the tensor (layer,
   * "relu_max") [1] of the weights; 0 when unbounded. */
  float          relu_max;
  gsize          out_size;   /* floats per image */
  /* weights: conv [Cout][Ky][Kx][Cin], depthwise [Ky][Kx][C], linear [Cout][Cin] */
  float         *w;
  gsize          n_w;
  guint          w_dims[4];
  guint          w_ndims;
  float         *b;                    /* linear */
  float         *gamma, *beta;         /* conv, depthwise */
  float         *rmean, *rvar;         /* running statistics */
  /* Not a batch norm but the model's bias: an imported conv without
   * BatchNormalization (docs/import.md: γ 1, β 0, μ −b, σ² 1 − ε in every
   * channel). Training keeps it as the fixed affine map it is (batch
   * statistics would renormalize the layer's output). */
  gboolean       bn_frozen;
  /* Gradients of the whole step (sum over shards and configs): what the
   * optimizer reads. */
  float         *gw, *gb, *ggamma, *gbeta;
  /* Quantization: weights of the current pass, LSQ steps [3][n_wch] and
   * their gradient; the tensor seen as [wq_outer][n_wch][wq_inner]. */
  float         *wq;
  float         *w_step, *g_w_step;
  guint          n_wch, wq_outer, wq_inner;
  float         *wq_b;                 /* mixed pass: Q_8, Q_4, Q_2 of w ([3][n_w]) */
} Node;

/* What one shard of a batch needs for itself: activations, their
 * gradients, the layer's batch statistics and parameter gradients. */
typedef struct {
  float *z;                            /* pre-normalization output */
  float *bmean, *bvar;                 /* statistics of this shard */
  float *gw, *gb, *ggamma, *gbeta;
} NodeShard;

typedef struct {
  FbTrainer    *owner;
  guint         index;
  float       **act;
  float       **grad;                  /* NULL for the network input */
  float       **pre;                   /* activation / pooled tensors before fake quantization */
  double       *galpha;                /* [n_tensors][3]: dL/dα of this pass, unscaled */
  float        *teacher;               /* distillation: softmax of the all-8 pass */
  /* Mixed pass (fb_trainer_mixed_step): dL/dp per tensor and bit-width, and
   * a tensor-sized buffer for the pool output's branches. */
  double       *gmix_a;
  float        *mix_tmp;
  NodeShard    *ns;
  float        *scratch;
  /* The job of the current step. */
  const float  *x;
  const guint8 *labels;
  const float  *targets;               /* output_kind values: n × outputs, else NULL */
  guint         n;                     /* images of this shard (may be 0) */
  guint         batch_n;               /* images of the whole batch */
  double        loss;
  guint         correct;
} Shard;

typedef void (*ShardFunc) (Shard *shard);

struct _FbTrainer {
  FbNetwork      *network;
  FbTrainOptions  opt;
  guint           cap;          /* images per batch the buffers hold */
  guint           n_nodes;
  Node           *nodes;
  guint           n_tensors;
  gsize          *tsize;        /* floats per image of each tensor */
  guint           n_classes;
  guint           input, logits;
  FbOptimizer    *optim;        /* gradients: the nodes' step totals */

  /* Quantization. Bits of the current pass (0: float) per layer's weights
   * and per tensor (a pooled tensor has its source's); α per tensor
   * [n_tensors][3] (activation tensors only) and its step gradient. */
  guint8         *cur_w, *cur_a;
  float          *alpha, *g_alpha;
  gboolean        alpha_ready;
  FbPrecisionConfig *fixed;
  enum { ROLE_HARD, ROLE_TEACHER, ROLE_STUDENT } role;
  float           pass_scale;   /* 1 / configs per step: the loss is their mean */
  /* Mixed pass: branch probabilities [n_layers][3] and [n_tensors][3] (8, 4,
   * 2 bit) while fb_trainer_mixed_step runs, else NULL. */
  const float    *mix_w, *mix_a;

  /* Shards of a batch run on a small pool: threads meet once per step. */
  guint           n_shards;
  Shard          *shards;
  float          *eval_logits;
  guint           n_threads;
  GThread       **threads;
  GMutex          lock;
  GCond           start_cond, done_cond;
  guint           generation;
  guint           pending;
  gboolean        quit;
  ShardFunc       job;

  /* Where training stands (saved in checkpoints). */
  guint           epoch, step;
  double          epoch_loss_sum;
  guint64         epoch_correct, epoch_seen;
  double          test_accuracy, test_loss;
  double          test_w4a4, test_w2a2;   /* supernet: fake-quant test accuracies */
  double          train_seconds;
  guint64         images_trained;
};

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

/* ---- the shard pool ------------------------------------------------------ */

static void
run_assigned (FbTrainer *self, guint thread, ShardFunc fn)
{
  for (guint s = thread; s < self->n_shards; s += self->n_threads)
    fn (&self->shards[s]);
}

static gpointer
worker_main (gpointer data)
{
  Shard *first = data;
  FbTrainer *self = first->owner;
  guint thread = first->index;
  guint seen = 0;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      ShardFunc fn;
      while (self->generation == seen && !self->quit)
        g_cond_wait (&self->start_cond, &self->lock);
      if (self->quit)
        break;
      seen = self->generation;
      fn = self->job;
      g_mutex_unlock (&self->lock);
      run_assigned (self, thread, fn);
      g_mutex_lock (&self->lock);
      if (--self->pending == 0)
        g_cond_signal (&self->done_cond);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Runs @fn on every shard; the calling thread takes its share. Waiting is
 * passive (condition variables), so a core shared with other work is not
 * burnt spinning. */
static void
run_shards (FbTrainer *self, ShardFunc fn)
{
  if (self->n_threads > 1)
    {
      g_mutex_lock (&self->lock);
      self->job = fn;
      self->pending = self->n_threads - 1;
      self->generation++;
      g_cond_broadcast (&self->start_cond);
      g_mutex_unlock (&self->lock);
    }
  run_assigned (self, 0, fn);
  if (self->n_threads > 1)
    {
      g_mutex_lock (&self->lock);
      while (self->pending > 0)
        g_cond_wait (&self->done_cond, &self->lock);
      g_mutex_unlock (&self->lock);
    }
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
                         "%s: layer \"%s\": bn_var[%u] is negative (%g)", origin, l->name, k,
                         n->rvar[k]);
            return FALSE;
          }
      n->bn_frozen = TRUE;
      for (guint k = 0; k < c; k++)
        n->bn_frozen = n->bn_frozen && n->rvar[k] == 1.0f - FB_NN_BN_EPS;
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

static void refresh_w8_steps (Node *n);

static gboolean
init_relu_max (Node *n, FbWeights *init, const char *origin, GError **error)
{
  const FbWeightsTensor *t = init != NULL ? fb_weights_lookup (init, n->layer->name, "relu_max") : NULL;

  if (t == NULL)
    return TRUE;
  if (t->n != 1 || !(t->data[0] > 0.0f) || !n->relu)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: layer \"%s\": \"relu_max\" must be one positive value on a layer with ReLU",
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
  g_autofree float *scale = g_new (float, c);

  for (guint k = 0; k < c; k++)
    scale[k] = n->gamma[k] / sqrtf (n->rvar[k] + FB_NN_BN_EPS);
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
                             "%s: layer \"%s\": w_step[%u][%u] must be a positive number, not %g",
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
                           "%s: layer \"%s\": act_alpha[%u] must be a positive number, not %g",
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
                   "%s: act_alpha is given for %u of the %u activation tensors", origin, found, wanted);
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
                   "%s: weights made for network \"%s\", not for \"%s\" (network_sha256 differs)",
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
          g_set_error (error, FB_ERROR, FB_ERROR_GRAPH, "layer \"%s\": op %s cannot be trained",
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

/* Whether tensor @t holds signed values (a layer without ReLU wrote it or its
 * pool's source): its grid is symmetric, its step α / (2^(bits−1) − 1). */
static inline gboolean
tensor_signed (FbTrainer *self, guint t)
{
  return fb_network_tensor_is_signed (self->network, fb_network_get_tensor (self->network, t)->bits_source);
}

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

static void
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

static void
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

static void
shard_eval (Shard *sh)
{
  if (sh->n == 0)
    return;
  shard_load_input (sh);
  forward (sh, FALSE);
}

/* Splits @n images into the shards, in order. */
static void
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
static void
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
static void
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

/* Adds the gradients of one pass (summed over shards into shard 0, in
 * shard order) to the step totals, through the weights' fake quantization. */
static void
reduce_pass (FbTrainer *self, gboolean update_running, double *loss, guint *correct)
{
  double total_loss = 0.0;
  guint right = 0, used = 0, seen = 0;

  for (guint s = 0; s < self->n_shards; s++)
    {
      Shard *sh = &self->shards[s];
      if (sh->n == 0)
        continue;
      total_loss += sh->loss * sh->n;
      right += sh->correct;
      seen += sh->n;
      used++;
      for (guint t = 0; t < self->n_tensors * 3; t++)
        self->g_alpha[t] += (float) sh->galpha[t];
      if (s == 0)
        continue;
      for (guint i = 0; i < self->n_nodes; i++)
        {
          Node *nd = &self->nodes[i];
          NodeShard *dst = &self->shards[0].ns[i], *src = &sh->ns[i];
          guint c = nd->layer->out_shape.c;
          if (src->gw == NULL)
            continue;
          for (gsize k = 0; k < nd->n_w; k++)
            dst->gw[k] += src->gw[k];
          if (src->gb != NULL)
            for (guint k = 0; k < nd->layer->cout; k++)
              dst->gb[k] += src->gb[k];
          if (src->ggamma != NULL)
            for (guint k = 0; k < c; k++)
              {
                dst->ggamma[k] += src->ggamma[k];
                dst->gbeta[k] += src->gbeta[k];
              }
        }
    }

  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      NodeShard *ns = &self->shards[0].ns[i];
      guint c = nd->layer->out_shape.c, b = self->cur_w[i];
      if (nd->w == NULL)
        continue;
      if (b != 0)
        fb_fake_quant_weights_backward (nd->wq_outer, nd->n_wch, nd->wq_inner, nd->w,
                                        nd->w_step + fb_fake_quant_bits_index (b) * nd->n_wch, b,
                                        ns->gw, nd->gw,
                                        nd->g_w_step + fb_fake_quant_bits_index (b) * nd->n_wch);
      else
        for (gsize k = 0; k < nd->n_w; k++)
          nd->gw[k] += ns->gw[k];
      if (nd->gb != NULL)
        for (guint k = 0; k < nd->layer->cout; k++)
          nd->gb[k] += ns->gb[k];
      if (nd->ggamma != NULL)
        for (guint k = 0; k < c; k++)
          {
            nd->ggamma[k] += ns->ggamma[k];
            nd->gbeta[k] += ns->gbeta[k];
          }
    }

  /* Running statistics: the mean of the shards' statistics, one update per
   * step; the variance unbiased like PyTorch's. A supernet keeps those of
   * its all-8 pass: other configs' statistics differ (2-bit activations
   * most), and a mix fits none; fb_trainer_recalibrate_bn() estimates a
   * config's own. */
  for (guint i = 0; update_running && i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      guint c = nd->layer->out_shape.c;
      gsize hw = (gsize) nd->layer->out_shape.h * nd->layer->out_shape.w;

      if (nd->rmean == NULL || nd->bn_frozen)
        continue;
      for (guint k = 0; k < c; k++)
        {
          double mu = 0.0, var = 0.0;
          for (guint s = 0; s < self->n_shards; s++)
            {
              Shard *sh = &self->shards[s];
              gsize m = sh->n * hw;
              if (sh->n == 0)
                continue;
              mu += sh->ns[i].bmean[k];
              var += sh->ns[i].bvar[k] * (m > 1 ? (double) m / (m - 1) : 1.0);
            }
          nd->rmean[k] += BN_MOMENTUM * (float) (mu / used - nd->rmean[k]);
          nd->rvar[k] += BN_MOMENTUM * (float) (var / used - nd->rvar[k]);
        }
    }
  *loss = seen ? total_loss / seen : 0.0;
  *correct = right;
}

/* LSQ's gradient scale 1/sqrt(N·Qp) (N: elements sharing the step) for
 * the 4- and 2-bit weight steps (8-bit ones follow the weights:
 * refresh_w8_steps). α = Qp·s, so LSQ on s is Qp²/sqrt(N·Qp) on α; at 8
 * bit that factor (4 072/sqrt(N)) made α8 collapse to its floor in small
 * networks, so α8 takes the 4-bit factor: dL/dα is dominated by the
 * clipped elements at every bit-width, and α8 ≈ 2·α4. */
static void
scale_step_gradients (FbTrainer *self)
{
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      if (n->w == NULL)
        continue;
      memset (n->g_w_step, 0, n->n_wch * sizeof (float));
      for (guint b = 1; b < 3; b++)
        {
          double qp = (1 << (fb_fake_quant_index_bits (b) - 1)) - 1;
          float g = (float) (1.0 / sqrt ((double) n->wq_outer * n->wq_inner * qp));
          for (guint c = 0; c < n->n_wch; c++)
            n->g_w_step[b * n->n_wch + c] *= g;
        }
    }
  for (guint t = 0; t < self->n_tensors; t++)
    for (guint b = 0; b < 3; b++)
      {
        double qp = (1u << fb_fake_quant_index_bits (MAX (b, 1))) - 1;
        self->g_alpha[t * 3 + b] *= (float) (qp * qp / sqrt ((double) self->tsize[t] * qp));
      }
}

static void
clamp_steps (FbTrainer *self)
{
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      for (guint k = 0; n->w != NULL && k < 3 * n->n_wch; k++)
        n->w_step[k] = MAX (n->w_step[k], MIN_W_STEP);
    }
  for (guint k = 0; k < self->n_tensors * 3; k++)
    if (self->alpha[k] != 0.0f)
      self->alpha[k] = MAX (self->alpha[k], MIN_ALPHA);
}

static void
zero_totals (FbTrainer *self)
{
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      guint c = n->layer->out_shape.c;
      if (n->w == NULL)
        continue;
      memset (n->gw, 0, n->n_w * sizeof (float));
      memset (n->g_w_step, 0, 3 * n->n_wch * sizeof (float));
      if (n->gb != NULL)
        memset (n->gb, 0, n->layer->cout * sizeof (float));
      if (n->ggamma != NULL)
        {
          memset (n->ggamma, 0, c * sizeof (float));
          memset (n->gbeta, 0, c * sizeof (float));
        }
    }
  memset (self->g_alpha, 0, (gsize) self->n_tensors * 3 * sizeof (float));
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
    configs = fb_supernet_step_configs (self->network, self->opt.seed, self->epoch, self->step,
                                        self->opt.random_configs);
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
      run_shards (self, shard_train);
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
  run_shards (self, shard_eval);
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
  double total_loss = 0.0;
  guint right = 0;

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
  run_shards (self, shard_train);

  memset (g_a, 0, (gsize) self->n_tensors * 3 * sizeof (double));
  for (guint s = 0; s < self->n_shards; s++)
    {
      Shard *sh = &self->shards[s];
      if (sh->n == 0)
        continue;
      total_loss += sh->loss * sh->n;
      right += sh->correct;
      for (guint k = 0; k < self->n_tensors * 3; k++)
        g_a[k] += sh->gmix_a[k];
    }
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

static gboolean
check_dataset (FbTrainer *self, FbDataset *ds, GError **error)
{
  const FbTensor *in = fb_network_get_input (self->network);

  if (in->shape.h != fb_dataset_get_height (ds) || in->shape.w != fb_dataset_get_width (ds) ||
      in->shape.c != fb_dataset_get_channels (ds))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   "network \"%s\" takes %u×%u×%u inputs, but %s holds %u×%u×%u images",
                   fb_network_get_name (self->network), in->shape.h, in->shape.w, in->shape.c,
                   fb_dataset_get_path (ds), fb_dataset_get_height (ds), fb_dataset_get_width (ds),
                   fb_dataset_get_channels (ds));
      return FALSE;
    }
  if (self->n_classes != fb_dataset_get_n_classes (ds))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE,
                   "network \"%s\" has %u outputs, but %s has %u classes",
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

/* ---- quantization ------------------------------------------------------------ */

gboolean
fb_trainer_has_act_alpha (FbTrainer *self)
{
  return self->alpha_ready;
}

gboolean
fb_trainer_set_fixed_config (FbTrainer *self, FbPrecisionConfig *config, GError **error)
{
  if (fb_precision_config_get_network (config) != self->network &&
      g_strcmp0 (fb_network_get_sha256 (fb_precision_config_get_network (config)),
                 fb_network_get_sha256 (self->network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, "the config is for another network than \"%s\"",
                   fb_network_get_name (self->network));
      return FALSE;
    }
  if (!fb_precision_config_validate (config, error))
    return FALSE;
  g_clear_pointer (&self->fixed, fb_precision_config_free);
  self->fixed = fb_precision_config_copy (config);
  return TRUE;
}

void
fb_trainer_calibrate_act_alpha (FbTrainer *self, const float *x, guint n)
{
  g_return_if_fail (n > 0 && n <= self->cap);
  set_config (self, NULL);
  assign_shards (self, x, NULL, n);
  run_shards (self, shard_eval);
  for (guint t = 0; t < self->n_tensors; t++)
    {
      g_autofree FbFakeQuantHist *hist = NULL;
      const FbTensor *ten = fb_network_get_tensor (self->network, t);
      gboolean sgn = tensor_signed (self, t);
      float mx = 0.0f, relu_max;

      if (ten->kind != FB_TENSOR_ACTIVATION)
        continue;
      for (guint s = 0; s < self->n_shards; s++)
        {
          Shard *sh = &self->shards[s];
          for (gsize k = 0; k < (gsize) sh->n * self->tsize[t]; k++)
            mx = MAX (mx, sgn ? fabsf (sh->act[t][k]) : sh->act[t][k]);
        }
      hist = g_new0 (FbFakeQuantHist, 1);
      hist->range = mx > 0.0f ? mx : 1.0;
      for (guint s = 0; s < self->n_shards; s++)
        if (sgn)
          fb_fake_quant_hist_add_abs (hist, (gsize) self->shards[s].n * self->tsize[t], self->shards[s].act[t]);
        else
          fb_fake_quant_hist_add (hist, (gsize) self->shards[s].n * self->tsize[t], self->shards[s].act[t]);
      /* A bounded ReLU (ReLU6) is honoured by clipping at α ≤ its bound. */
      relu_max = self->nodes[ten->producer].relu_max;
      for (guint b = 0; b < 3; b++)
        {
          /* Signed: the positive half of the symmetric grid has 2^(b−1) − 1 levels. */
          guint bits = fb_fake_quant_index_bits (b);
          float a = fb_fake_quant_hist_best_alpha (hist, sgn ? bits - 1 : bits);
          if (relu_max > 0.0f)
            a = MIN (a, relu_max);
          self->alpha[t * 3 + b] = MAX (a, MIN_ALPHA);
        }
    }
  self->alpha_ready = TRUE;
}

static gboolean
check_config (FbTrainer *self, FbPrecisionConfig *config, GError **error)
{
  if (config == NULL)
    return TRUE;
  if (g_strcmp0 (fb_network_get_sha256 (fb_precision_config_get_network (config)),
                 fb_network_get_sha256 (self->network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, "the config is for another network than \"%s\"",
                   fb_network_get_name (self->network));
      return FALSE;
    }
  if (!self->alpha_ready)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "network \"%s\": the weights have no act_alpha (activation clipping values); "
                   "train them with --supernet or fine-tune a config first",
                   fb_network_get_name (self->network));
      return FALSE;
    }
  return fb_precision_config_validate (config, error);
}

gboolean
fb_trainer_evaluate_config (FbTrainer *self, FbPrecisionConfig *config, FbDataset *dataset,
                            guint limit, GCancellable *cancellable, double *accuracy, double *loss,
                            GError **error)
{
  gboolean ok;

  if (!check_config (self, config, error))
    return FALSE;
  set_config (self, config);
  ok = fb_trainer_evaluate (self, dataset, limit, cancellable, accuracy, loss, error);
  set_config (self, NULL);
  return ok;
}

static void
shard_forward_train (Shard *sh)
{
  if (sh->n == 0)
    return;
  shard_load_input (sh);
  forward (sh, TRUE);
}

gboolean
fb_trainer_recalibrate_bn (FbTrainer *self, FbPrecisionConfig *config, FbDataset *train,
                           guint n_images, GCancellable *cancellable, GError **error)
{
  g_autoptr(FbDataLoader) loader = NULL;
  g_autofree float *x = NULL;
  g_autofree guint8 *labels = g_new (guint8, self->cap);
  g_autofree double *sum_mean = NULL, *sum_var = NULL;
  gsize total_c = 0;
  guint batches, count = 0;

  if (!check_config (self, config, error) || !check_dataset (self, train, error))
    return FALSE;
  for (guint i = 0; i < self->n_nodes; i++)
    if (self->nodes[i].rmean != NULL)
      total_c += self->nodes[i].layer->out_shape.c;
  sum_mean = g_new0 (double, MAX (total_c, 1));
  sum_var = g_new0 (double, MAX (total_c, 1));
  loader = fb_data_loader_new (train, FB_DATA_LOADER_SHUFFLE, self->cap, n_images, self->opt.seed);
  x = g_new (float, (gsize) self->cap * self->tsize[self->input]);
  batches = fb_data_loader_get_n_batches (loader);
  set_config (self, config);
  for (guint b = 0; b < batches; b++)
    {
      guint n = fb_data_loader_fill (loader, 0, b, x, labels);
      gsize off = 0;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          set_config (self, NULL);
          return FALSE;
        }
      assign_shards (self, x, labels, n);
      run_shards (self, shard_forward_train);
      /* Per shard, as in training: the statistics deployment folds are
       * those of shard-sized batches. */
      for (guint i = 0; i < self->n_nodes; i++)
        {
          Node *nd = &self->nodes[i];
          guint c = nd->layer->out_shape.c;
          gsize hw = (gsize) nd->layer->out_shape.h * nd->layer->out_shape.w;
          if (nd->rmean == NULL || nd->bn_frozen)
            continue;
          for (guint s = 0; s < self->n_shards; s++)
            {
              Shard *sh = &self->shards[s];
              gsize m = sh->n * hw;
              if (sh->n == 0)
                continue;
              for (guint k = 0; k < c; k++)
                {
                  sum_mean[off + k] += sh->ns[i].bmean[k];
                  sum_var[off + k] += sh->ns[i].bvar[k] * (m > 1 ? (double) m / (m - 1) : 1.0);
                }
            }
          off += c;
        }
      for (guint s = 0; s < self->n_shards; s++)
        count += self->shards[s].n != 0;
    }
  set_config (self, NULL);
  if (count == 0)
    return TRUE;
  for (guint i = 0, off = 0; i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      guint c = nd->layer->out_shape.c;
      if (nd->rmean == NULL || nd->bn_frozen)
        continue;
      for (guint k = 0; k < c; k++)
        {
          nd->rmean[k] = (float) (sum_mean[off + k] / count);
          nd->rvar[k] = (float) (sum_var[off + k] / count);
        }
      off += c;
    }
  return TRUE;
}

/* Saves or restores every running batch-norm statistic. */
static void
swap_running_stats (FbTrainer *self, float *buf, gboolean save)
{
  gsize off = 0;
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *nd = &self->nodes[i];
      gsize c = nd->layer->out_shape.c;
      if (nd->rmean == NULL)
        continue;
      if (save)
        {
          memcpy (buf + off, nd->rmean, c * sizeof (float));
          memcpy (buf + off + c, nd->rvar, c * sizeof (float));
        }
      else
        {
          memcpy (nd->rmean, buf + off, c * sizeof (float));
          memcpy (nd->rvar, buf + off + c, c * sizeof (float));
        }
      off += 2 * c;
    }
}

#define EPOCH_RECAL_IMAGES 2048

/* A supernet config's fake-quant test accuracy with its own batch-norm
 * statistics (recalibrated on training images, as fb_supernet_specialize
 * does), leaving the trainer's statistics as they were. */
static gboolean
evaluate_recalibrated (FbTrainer *self, FbPrecisionConfig *config, FbDataset *train, FbDataset *test,
                       GCancellable *cancellable, double *accuracy, GError **error)
{
  g_autofree float *saved = NULL;
  gsize total = 0;
  gboolean ok;

  for (guint i = 0; i < self->n_nodes; i++)
    if (self->nodes[i].rmean != NULL)
      total += 2 * self->nodes[i].layer->out_shape.c;
  saved = g_new (float, MAX (total, 1));
  swap_running_stats (self, saved, TRUE);
  ok = fb_trainer_recalibrate_bn (self, config, train, EPOCH_RECAL_IMAGES, cancellable, error) &&
       fb_trainer_evaluate_config (self, config, test, 0, cancellable, accuracy, NULL, error);
  swap_running_stats (self, saved, FALSE);
  return ok;
}

/* The epoch's test evaluation: float, the fixed config, or for a supernet
 * its largest config (the running statistics are its own), and uniform
 * 4 bit (where it packs) and its smallest config with recalibrated
 * batch-norm statistics, all fake-quantized. */
static gboolean
evaluate_epoch (FbTrainer *self, FbDataset *train, FbDataset *test, GCancellable *cancellable,
                GError **error)
{
  g_autoptr(FbPrecisionConfig) max = NULL, min = NULL, w4a4 = NULL;

  switch (self->opt.quant)
    {
    case FB_TRAIN_FLOAT:
      return fb_trainer_evaluate (self, test, 0, cancellable, &self->test_accuracy, &self->test_loss, error);
    case FB_TRAIN_FIXED:
      return fb_trainer_evaluate_config (self, self->fixed, test, 0, cancellable, &self->test_accuracy,
                                         &self->test_loss, error);
    case FB_TRAIN_SUPERNET:
      break;
    }
  max = fb_supernet_config_max (self->network);
  min = fb_supernet_config_min (self->network);
  w4a4 = fb_precision_config_new_uniform (self->network, 4, 4, NULL);
  self->test_w4a4 = NAN;
  return fb_trainer_evaluate_config (self, max, test, 0, cancellable, &self->test_accuracy,
                                     &self->test_loss, error) &&
         (w4a4 == NULL || evaluate_recalibrated (self, w4a4, train, test, cancellable, &self->test_w4a4, error)) &&
         evaluate_recalibrated (self, min, train, test, cancellable, &self->test_w2a2, error);
}

gboolean
fb_trainer_run (FbTrainer *self, FbDataset *train, FbDataset *test, FbTrainProgressFunc progress,
                gpointer user_data, GCancellable *cancellable, GError **error)
{
  g_autoptr(FbDataLoader) loader = NULL;
  g_autofree float *x = NULL;
  g_autofree guint8 *labels = g_new (guint8, self->cap);
  guint steps;
  guint64 total, warmup, run_steps = 0, run_images = 0;
  double run_seconds = 0.0, eval_seconds = -1.0;

  if (!check_dataset (self, train, error) || (test != NULL && !check_dataset (self, test, error)))
    return FALSE;
  loader = fb_data_loader_new (train, self->opt.augment ? FB_DATA_LOADER_TRAIN : FB_DATA_LOADER_SHUFFLE,
                               self->cap, self->opt.limit_train, self->opt.seed);
  x = g_new (float, (gsize) self->cap * self->tsize[fb_network_get_input (self->network)->index]);
  steps = fb_data_loader_get_n_batches (loader);
  if (self->step > steps)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "cannot resume at step %u: an epoch of %u images has %u steps of %u",
                   self->step, fb_data_loader_get_n_images (loader), steps, self->cap);
      return FALSE;
    }
  total = (guint64) steps * self->opt.epochs;
  warmup = (guint64) (self->opt.warmup_epochs * steps);

  while (self->epoch < self->opt.epochs)
    {
      while (self->step < steps)
        {
          guint64 global = (guint64) self->epoch * steps + self->step;
          double lr = fb_optimizer_cosine_lr (self->opt.lr, global, total, warmup);
          gint64 t0 = g_get_monotonic_time ();
          guint n = fb_data_loader_fill (loader, self->epoch, self->step, x, labels), ok = 0;
          double loss = 0.0, dt;

          fb_trainer_train_step (self, x, labels, n, lr, &loss, &ok);
          dt = (g_get_monotonic_time () - t0) / 1e6;
          if (!isfinite (loss))
            {
              g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                           "training diverged at epoch %u step %u (loss %g); try a smaller --lr",
                           self->epoch + 1, self->step + 1, loss);
              return FALSE;
            }
          self->step++;
          self->epoch_loss_sum += loss * n;
          self->epoch_correct += ok;
          self->epoch_seen += n;
          self->train_seconds += dt;
          self->images_trained += n;
          run_seconds += dt;
          run_images += n;
          run_steps++;

          if (progress != NULL)
            {
              guint64 left = total - ((guint64) self->epoch * steps + self->step);
              guint evals_left = self->opt.epochs - self->epoch;
              FbTrainProgress p = {
                .event = FB_TRAIN_EVENT_STEP,
                .epoch = self->epoch,
                .epochs = self->opt.epochs,
                .step = self->step,
                .steps = steps,
                .lr = lr,
                .loss = self->epoch_loss_sum / self->epoch_seen,
                .accuracy = (double) self->epoch_correct / self->epoch_seen,
                .images_per_s = run_seconds > 0 ? run_images / run_seconds : 0.0,
                .eta_s = run_seconds / run_steps * left +
                         (test != NULL ? MAX (eval_seconds, 0.0) * evals_left : 0.0),
                .test_accuracy = NAN,
                .test_loss = NAN,
                .test_w4a4 = NAN,
                .test_w2a2 = NAN,
              };
              if (!progress (self, &p, user_data, error))
                return FALSE;
            }
          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
        }

      if (test != NULL)
        {
          gint64 t0 = g_get_monotonic_time ();
          if (!evaluate_epoch (self, train, test, cancellable, error))
            return FALSE;
          eval_seconds = (g_get_monotonic_time () - t0) / 1e6;
        }

      FbTrainProgress p = {
        .event = FB_TRAIN_EVENT_EPOCH_END,
        .epoch = self->epoch,
        .epochs = self->opt.epochs,
        .step = steps,
        .steps = steps,
        .lr = fb_optimizer_cosine_lr (self->opt.lr, (guint64) (self->epoch + 1) * steps - 1, total, warmup),
        .loss = self->epoch_seen ? self->epoch_loss_sum / self->epoch_seen : NAN,
        .accuracy = self->epoch_seen ? (double) self->epoch_correct / self->epoch_seen : NAN,
        .images_per_s = run_seconds > 0 ? run_images / run_seconds : 0.0,
        .eta_s = run_steps ? run_seconds / run_steps * (total - (guint64) (self->epoch + 1) * steps) +
                             MAX (eval_seconds, 0.0) * (self->opt.epochs - self->epoch - 1) : 0.0,
        .test_accuracy = self->test_accuracy,
        .test_loss = self->test_loss,
        .test_w4a4 = self->test_w4a4,
        .test_w2a2 = self->test_w2a2,
      };
      /* Advance before reporting, so a checkpoint written by the callback
       * resumes at the next epoch. */
      self->epoch++;
      self->step = 0;
      self->epoch_loss_sum = 0.0;
      self->epoch_correct = self->epoch_seen = 0;
      if (progress != NULL && !progress (self, &p, user_data, error))
        return FALSE;
      if (self->epoch < self->opt.epochs && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- weights and checkpoints ----------------------------------------------- */

static const char *quant_names[] = { "float", "supernet", "fixed" };

static JsonObject *
options_to_json (const FbTrainOptions *o)
{
  JsonObject *obj = json_object_new ();
  json_object_set_int_member (obj, "epochs", o->epochs);
  json_object_set_int_member (obj, "batch_size", o->batch_size);
  json_object_set_int_member (obj, "shards", o->shards);
  json_object_set_double_member (obj, "lr", o->lr);
  json_object_set_double_member (obj, "momentum", o->momentum);
  json_object_set_boolean_member (obj, "nesterov", o->nesterov);
  json_object_set_double_member (obj, "weight_decay", o->weight_decay);
  json_object_set_double_member (obj, "warmup_epochs", o->warmup_epochs);
  json_object_set_int_member (obj, "seed", o->seed);
  json_object_set_int_member (obj, "limit_train", o->limit_train);
  json_object_set_boolean_member (obj, "augment", o->augment);
  json_object_set_string_member (obj, "quantization", quant_names[o->quant]);
  if (o->quant == FB_TRAIN_SUPERNET)
    {
      json_object_set_int_member (obj, "random_configs", o->random_configs);
      json_object_set_boolean_member (obj, "distill", o->distill);
    }
  return obj;
}

static void
set_number_or_null (JsonObject *obj, const char *member, double v)
{
  if (isfinite (v))
    json_object_set_double_member (obj, member, v);
  else
    json_object_set_null_member (obj, member);
}

static void
add_params (FbTrainer *self, FbWeights *w)
{
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      const char *name = n->layer->name;
      guint c = n->layer->out_shape.c, cdims[1] = { c }, one = 1;

      if (n->relu_max > 0.0f)
        fb_weights_add (w, name, "relu_max", 1, &one)[0] = n->relu_max;
      if (n->w == NULL)
        continue;
      memcpy (fb_weights_add (w, name, "weight", n->w_ndims, n->w_dims), n->w, n->n_w * sizeof (float));
      if (n->kind == NODE_LINEAR)
        {
          guint bdims[1] = { n->layer->cout };
          memcpy (fb_weights_add (w, name, "bias", 1, bdims), n->b, n->layer->cout * sizeof (float));
          continue;
        }
      memcpy (fb_weights_add (w, name, "bn_gamma", 1, cdims), n->gamma, c * sizeof (float));
      memcpy (fb_weights_add (w, name, "bn_beta", 1, cdims), n->beta, c * sizeof (float));
      memcpy (fb_weights_add (w, name, "bn_mean", 1, cdims), n->rmean, c * sizeof (float));
      memcpy (fb_weights_add (w, name, "bn_var", 1, cdims), n->rvar, c * sizeof (float));
    }
  if (self->opt.quant == FB_TRAIN_FLOAT)
    return;
  for (guint i = 0; i < self->n_nodes; i++)
    {
      Node *n = &self->nodes[i];
      guint cout = n->layer->out_shape.c, dims[2] = { 3, cout };
      float *dst;

      if (n->w == NULL)
        continue;
      refresh_w8_steps (n);
      dst = fb_weights_add (w, n->layer->name, "w_step", 2, dims);
      /* The classifier's one scale is repeated over its output channels. */
      for (guint b = 0; b < 3; b++)
        for (guint c = 0; c < cout; c++)
          dst[b * cout + c] = n->w_step[b * n->n_wch + (n->n_wch == 1 ? 0 : c)];
    }
  if (!self->alpha_ready)
    return;
  for (guint t = 0; t < self->n_tensors; t++)
    {
      const FbTensor *ten = fb_network_get_tensor (self->network, t);
      guint dims[1] = { 3 };
      if (ten->kind == FB_TENSOR_ACTIVATION)
        memcpy (fb_weights_add (w, fb_network_get_layer (self->network, (guint) ten->producer)->name,
                                "act_alpha", 1, dims),
                self->alpha + t * 3, 3 * sizeof (float));
    }
}

FbWeights *
fb_trainer_get_weights (FbTrainer *self)
{
  FbWeights *w = fb_weights_new_for_network (self->network);
  g_autoptr(JsonObject) training = json_object_new ();

  add_params (self, w);
  if (self->opt.quant == FB_TRAIN_FLOAT)
    json_object_set_string_member (training, "method", "float");
  else
    {
      g_autoptr(JsonObject) q = json_object_new ();
      json_object_set_string_member (training, "method",
                                     self->opt.quant == FB_TRAIN_SUPERNET ? "supernet" : "fixed-config");
      json_object_set_string_member (q, "weights",
                                     "per output channel symmetric (classifier: one scale), full grid "
                                     "[-2^(b-1), 2^(b-1)-1]; 8 bit: step max|w_c|/127; 4 and 2 bit: "
                                     "learned step w_step (LSQ, straight-through, gradient scale "
                                     "1/sqrt(N*Qp)) initialized at the per-channel MSE optimum");
      json_object_set_string_member (q, "activations",
                                     "unsigned, zero point 0, s = alpha/(2^b-1) (signed tensors, written "
                                     "without ReLU: symmetric, s = alpha/(2^(b-1)-1)), learned alpha per tensor "
                                     "and bit-width (LSQ; alpha8 with alpha4's gradient scale), initialized "
                                     "at the MSE optimum of the first batch (capped at relu_max); pool output "
                                     "rounded at its input's scale; logits float");
      json_object_set_string_member (q, "batch_norm_statistics",
                                     self->opt.quant == FB_TRAIN_SUPERNET
                                       ? "running averages of the all-8 config (the largest); other configs "
                                         "get theirs by recalibration (fb_supernet_specialize)"
                                       : "running averages of the fine-tuned config");
      if (self->opt.quant == FB_TRAIN_SUPERNET)
        {
          json_object_set_string_member (q, "sampling",
                                         "per step: all-8, all-2 (sandwich rule) and random_configs configs "
                                         "drawn uniformly per weighted layer and activation tensor; gradients "
                                         "of the mean loss over them, one optimizer step");
          json_object_set_boolean_member (q, "distill", self->opt.distill);
          set_number_or_null (q, "test_accuracy_w8a8", self->test_accuracy);
          set_number_or_null (q, "test_accuracy_w4a4", self->test_w4a4);
          set_number_or_null (q, "test_accuracy_w2a2", self->test_w2a2);
        }
      else if (self->fixed != NULL)
        {
          g_autofree char *c = fb_precision_config_to_string (self->fixed);
          json_object_set_string_member (q, "config", c);
        }
      json_object_set_object_member (training, "quantization", json_object_ref (q));
    }
  json_object_set_string_member (training, "batch_norm",
                                 "conv → batch norm → ReLU; batch statistics per shard of batch_size / shards "
                                 "images; to be folded into the requantization at deployment");
  json_object_set_int_member (training, "epochs_completed", MIN (self->epoch, self->opt.epochs));
  json_object_set_object_member (training, "options", options_to_json (&self->opt));
  json_object_set_string_member (training, "augmentation",
                                 self->opt.augment ? "random crop with 2-pixel zero padding, horizontal flip" : "none");
  set_number_or_null (training, self->opt.quant == FB_TRAIN_FLOAT ? "float_test_accuracy" : "test_accuracy",
                      self->test_accuracy);
  set_number_or_null (training, self->opt.quant == FB_TRAIN_FLOAT ? "float_test_loss" : "test_loss",
                      self->test_loss);
  json_object_set_double_member (training, "train_seconds", round (self->train_seconds * 10) / 10);
  json_object_set_int_member (training, "images_trained", (gint64) self->images_trained);
  fb_weights_set_training (w, training);
  return w;
}

FbWeights *
fb_trainer_get_checkpoint (FbTrainer *self)
{
  FbWeights *w = fb_trainer_get_weights (self);
  g_autoptr(JsonObject) ck = json_object_new ();

  fb_optimizer_save_state (self->optim, w);
  json_object_set_int_member (ck, "epoch", self->epoch);
  json_object_set_int_member (ck, "step", self->step);
  json_object_set_double_member (ck, "epoch_loss_sum", self->epoch_loss_sum);
  json_object_set_int_member (ck, "epoch_correct", (gint64) self->epoch_correct);
  json_object_set_int_member (ck, "epoch_seen", (gint64) self->epoch_seen);
  set_number_or_null (ck, "test_accuracy", self->test_accuracy);
  set_number_or_null (ck, "test_loss", self->test_loss);
  set_number_or_null (ck, "test_w4a4", self->test_w4a4);
  set_number_or_null (ck, "test_w2a2", self->test_w2a2);
  if (self->fixed != NULL)
    {
      g_autofree char *c = fb_precision_config_to_string (self->fixed);
      json_object_set_string_member (ck, "config", c);
    }
  json_object_set_double_member (ck, "train_seconds", self->train_seconds);
  json_object_set_int_member (ck, "images_trained", (gint64) self->images_trained);
  json_object_set_object_member (ck, "options", options_to_json (&self->opt));
  fb_weights_set_checkpoint (w, ck);
  return w;
}

gboolean
fb_train_options_from_checkpoint (FbTrainOptions *o, FbWeights *checkpoint, const char *origin,
                                  GError **error)
{
  static const char *known[] = { "epochs", "batch_size", "shards", "lr", "momentum", "nesterov", "weight_decay",
                                 "warmup_epochs", "seed", "limit_train", "augment", "quantization",
                                 "random_configs", "distill", NULL };
  JsonObject *ck = fb_weights_get_checkpoint (checkpoint), *obj = NULL;
  g_autofree char *where = g_strdup_printf ("%s: checkpoint.options", origin);
  gint64 epochs = 0, batch = 0, shards = 0, seed = 0, limit = 0;

  if (ck == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: not a checkpoint (no \"checkpoint\" object): it cannot be resumed", origin);
      return FALSE;
    }
  fb_train_options_init (o);
  if (!fb_json_get_object (ck, "options", origin, TRUE, &obj, error) ||
      !fb_json_check_members (obj, where, known, error) ||
      !fb_json_get_int (obj, "epochs", where, TRUE, 1, 100000, &epochs, error) ||
      !fb_json_get_int (obj, "batch_size", where, TRUE, 1, 65536, &batch, error) ||
      !fb_json_get_int (obj, "shards", where, TRUE, 1, 256, &shards, error) ||
      !fb_json_get_number (obj, "lr", where, TRUE, &o->lr, error) ||
      !fb_json_get_number (obj, "momentum", where, TRUE, &o->momentum, error) ||
      !fb_json_get_bool (obj, "nesterov", where, TRUE, &o->nesterov, error) ||
      !fb_json_get_number (obj, "weight_decay", where, TRUE, &o->weight_decay, error) ||
      !fb_json_get_number (obj, "warmup_epochs", where, TRUE, &o->warmup_epochs, error) ||
      !fb_json_get_int (obj, "seed", where, TRUE, 0, G_MAXUINT32, &seed, error) ||
      !fb_json_get_int (obj, "limit_train", where, TRUE, 0, G_MAXUINT32, &limit, error) ||
      !fb_json_get_bool (obj, "augment", where, TRUE, &o->augment, error))
    return FALSE;
  {
    const char *quant = NULL;
    gint64 random = o->random_configs;
    if (!fb_json_get_string (obj, "quantization", where, FALSE, &quant, error) ||
        !fb_json_get_int (obj, "random_configs", where, FALSE, 0, 64, &random, error) ||
        !fb_json_get_bool (obj, "distill", where, FALSE, &o->distill, error))
      return FALSE;
    o->quant = FB_TRAIN_FLOAT;
    for (guint q = 0; quant != NULL && q < G_N_ELEMENTS (quant_names); q++)
      if (g_str_equal (quant, quant_names[q]))
        o->quant = (FbTrainQuant) q;
    if (quant != NULL && !g_str_equal (quant, quant_names[o->quant]))
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     "%s: quantization \"%s\" is not one of float, supernet, fixed", where, quant);
        return FALSE;
      }
    o->random_configs = (guint) random;
  }
  o->epochs = (guint) epochs;
  o->batch_size = (guint) batch;
  o->shards = (guint) shards;
  o->seed = (guint32) seed;
  o->limit_train = (guint) limit;
  return TRUE;
}

gboolean
fb_trainer_resume (FbTrainer *self, FbWeights *checkpoint, const char *origin, GError **error)
{
  JsonObject *ck = fb_weights_get_checkpoint (checkpoint);
  gint64 epoch = 0, step = 0, correct = 0, seen = 0, images = 0;
  double loss_sum = 0, secs = 0, acc = NAN, tloss = NAN;
  JsonNode *node;

  if (ck == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   "%s: not a checkpoint (no \"checkpoint\" object): it cannot be resumed", origin);
      return FALSE;
    }
  if (!fb_json_get_int (ck, "epoch", origin, TRUE, 0, self->opt.epochs, &epoch, error) ||
      !fb_json_get_int (ck, "step", origin, TRUE, 0, G_MAXINT32, &step, error) ||
      !fb_json_get_number (ck, "epoch_loss_sum", origin, TRUE, &loss_sum, error) ||
      !fb_json_get_int (ck, "epoch_correct", origin, TRUE, 0, G_MAXINT64, &correct, error) ||
      !fb_json_get_int (ck, "epoch_seen", origin, TRUE, 0, G_MAXINT64, &seen, error) ||
      !fb_json_get_number (ck, "train_seconds", origin, TRUE, &secs, error) ||
      !fb_json_get_int (ck, "images_trained", origin, TRUE, 0, G_MAXINT64, &images, error) ||
      !fb_optimizer_load_state (self->optim, checkpoint, origin, error))
    return FALSE;
  /* Test results are null until the first epoch ends. */
  node = json_object_get_member (ck, "test_accuracy");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
      !fb_json_get_number (ck, "test_accuracy", origin, TRUE, &acc, error))
    return FALSE;
  node = json_object_get_member (ck, "test_loss");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
      !fb_json_get_number (ck, "test_loss", origin, TRUE, &tloss, error))
    return FALSE;
  self->epoch = (guint) epoch;
  self->step = (guint) step;
  self->epoch_loss_sum = loss_sum;
  self->epoch_correct = (guint64) correct;
  self->epoch_seen = (guint64) seen;
  self->train_seconds = secs;
  self->images_trained = (guint64) images;
  self->test_accuracy = acc;
  self->test_loss = tloss;
  for (guint k = 0; k < 2; k++)
    {
      const char *member = k == 0 ? "test_w4a4" : "test_w2a2";
      double v = NAN;
      node = json_object_get_member (ck, member);
      if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
          !fb_json_get_number (ck, member, origin, TRUE, &v, error))
        return FALSE;
      *(k == 0 ? &self->test_w4a4 : &self->test_w2a2) = v;
    }
  return TRUE;
}
