/* fb-trainer-private.h — what the parts of the trainer share: its layers
 * (Node), the shards a batch is split into (Shard), the FbTrainer instance
 * and the functions one part calls in another.
 *
 *   fb-trainer.c             construction, forward / backward of a shard,
 *                            the training and mixed steps, evaluation
 *   fb-trainer-shards.c      the shard pool and the reduction of the shards'
 *                            gradients into the step totals
 *   fb-trainer-run.c         quantization (fixed configs, act_alpha
 *                            calibration, batch-norm recalibration) and the
 *                            epoch loop, fb_trainer_run
 *   fb-trainer-checkpoint.c  weights and checkpoints, resuming
 *
 * Ownership: FbTrainer owns its nodes' and shards' buffers (freed by
 * fb_trainer_free); a Shard borrows its owner; Node.layer is borrowed from
 * the network the trainer holds a reference to.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-optimizer.h"
#include "fb-trainer.h"

G_BEGIN_DECLS

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
  float         *frozen_scale;         /* bn_frozen: γ / σ per channel, fixed */
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

  /* Shards of other processes (fb_trainer_set_shard_split); owns NULL: none. */
  FbTrainerShardSplit split;

  /* Where training stands (saved in checkpoints). */
  guint           epoch, step;
  double          epoch_loss_sum;
  guint64         epoch_correct, epoch_seen;
  double          test_accuracy, test_loss;
  double          test_w4a4, test_w2a2;   /* supernet: fake-quant test accuracies */
  double          train_seconds;
  guint64         images_trained;
};

/* Whether tensor @t holds signed values (a layer without ReLU wrote it or its
 * pool's source): its grid is symmetric, its step α / (2^(bits−1) − 1). */
static inline gboolean
tensor_signed (FbTrainer *self, guint t)
{
  return fb_network_tensor_is_signed (self->network, fb_network_get_tensor (self->network, t)->bits_source);
}

/* fb-trainer-shards.c */
G_GNUC_INTERNAL gpointer worker_main (gpointer data);
G_GNUC_INTERNAL void run_shards (FbTrainer *self, ShardFunc fn);
G_GNUC_INTERNAL void reduce_pass (FbTrainer *self, gboolean update_running, double *loss, guint *correct);
G_GNUC_INTERNAL guint shard_totals (FbTrainer *self, double *loss_sum, guint *correct, guint *seen);
G_GNUC_INTERNAL void scale_step_gradients (FbTrainer *self);
G_GNUC_INTERNAL void clamp_steps (FbTrainer *self);
G_GNUC_INTERNAL void zero_totals (FbTrainer *self);

/* fb-trainer.c */
G_GNUC_INTERNAL void forward (Shard *sh, gboolean train);
G_GNUC_INTERNAL void shard_load_input (Shard *sh);
G_GNUC_INTERNAL void shard_eval (Shard *sh);
G_GNUC_INTERNAL void assign_shards (FbTrainer *self, const float *x, const guint8 *labels, guint n);
G_GNUC_INTERNAL void refresh_w8_steps (Node *n);
G_GNUC_INTERNAL void set_config (FbTrainer *self, FbPrecisionConfig *config);
G_GNUC_INTERNAL gboolean check_dataset (FbTrainer *self, FbDataset *ds, GError **error);

G_END_DECLS
