/* fb-trainer.h — training and evaluation of an FbNetwork: float, as a
 * quantization-aware supernet of every precision config, or one config.
 *
 * How the graph is trained:
 * - conv2d and depthwise_conv2d: conv (no bias) → batch norm → ReLU (when
 *   the layer has "relu"; without it the output is signed). Batch norm uses the statistics of the batch shard
 *   (FbTrainOptions.shards) in training and running averages (momentum 0.1,
 *   unbiased variance, like PyTorch) in evaluation. It does not exist on the microcontroller: deployment folds
 *   γ, β, μ, σ into the per-channel requantization (kappa, lambda;
 *   CONVENTIONS.md), so a conv's float weights carry no bias.
 * - linear: weights and a bias; hidden linear layers end in ReLU, the final
 *   classifier does not (its outputs are the logits).
 * - add (with or without ReLU), global_avg_pool, avg_pool2d (count_include_pad
 *   as in the layer) and max_pool2d as in the graph; softmax cross-entropy loss.
 * - a layer with the optional tensor "relu_max" [1] (a bounded ReLU, e.g. an
 *   imported ReLU6) clamps its output at it; quantized, its α is capped at it.
 * - the input is the real value the model sees: (x_int − zero_point) · scale
 *   of the network's input description.
 * - SGD with Nesterov momentum, weight decay on conv/linear weights only,
 *   linear warm-up then cosine decay of the learning rate per step.
 *
 * Tensors in the weights (FbWeights): per conv/depthwise layer "weight"
 * ([Cout][Ky][Kx][Cin] resp. [Ky][Kx][C]), "bn_gamma", "bn_beta", "bn_mean",
 * "bn_var" ([C]); per linear layer "weight" ([Cout][Cin]) and "bias".
 *
 * Long jobs report through a callback and stop at a GCancellable between
 * steps, leaving the trainer consistent, so a checkpoint can be written.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-data-loader.h"
#include "fb-network.h"
#include "fb-precision-config.h"
#include "fb-weights.h"

G_BEGIN_DECLS

typedef struct _FbTrainer FbTrainer;

/* What a training step optimizes. */
typedef enum {
  FB_TRAIN_FLOAT,     /* the float network */
  FB_TRAIN_SUPERNET,  /* sandwich of configs per step (fb-supernet.h), shared weights */
  FB_TRAIN_FIXED,     /* one config (fb_trainer_set_fixed_config): fine-tuning */
} FbTrainQuant;

typedef struct {
  guint    epochs;
  guint    batch_size;
  /* The batch is split into this many shards, run on as many threads as
   * there are cores; batch-norm statistics are per shard ("ghost batch
   * norm", like PyTorch DistributedDataParallel without SyncBatchNorm).
   * Fixed by the options, not by the core count, so results are the same
   * on any machine. */
  guint    shards;
  double   lr;              /* peak learning rate */
  double   momentum;
  gboolean nesterov;
  double   weight_decay;
  double   warmup_epochs;
  guint32  seed;            /* initialization, shuffling, augmentation */
  guint    limit_train;     /* first N training images, 0 = all */
  gboolean augment;         /* random crop (2-pixel zero padding) + horizontal flip */
  FbTrainQuant quant;
  guint    random_configs;  /* supernet: random configs per step besides max and min */
  gboolean distill;         /* supernet: the all-8 pass's softmax teaches the others */
  guint    min_bits;        /* supernet: lowest bit-width trained (2; 4: 8 and 4 bit only) */
} FbTrainOptions;

typedef enum {
  FB_TRAIN_EVENT_STEP,
  FB_TRAIN_EVENT_EPOCH_END,   /* after the test-set evaluation */
} FbTrainEvent;

typedef struct {
  FbTrainEvent event;
  guint        epoch;          /* 0-based epoch in progress (or just finished) */
  guint        epochs;
  guint        step;           /* steps done in this epoch */
  guint        steps;          /* steps per epoch */
  double       lr;
  double       loss;           /* mean training loss over the epoch so far */
  double       accuracy;       /* training accuracy over the epoch so far */
  double       images_per_s;   /* training throughput of this run */
  double       eta_s;          /* remaining time, including evaluations */
  double       test_accuracy;  /* EPOCH_END: test accuracy (float; the config's when
                                FIXED; w8a8's for a supernet), else NAN */
  double       test_loss;
  double       test_w4a4;      /* EPOCH_END of a supernet: fake-quant test accuracy with
                                batch norm recalibrated for the config, else NAN */
  double       test_w2a2;
} FbTrainProgress;

/* Return FALSE (and set @error) to stop training, e.g. when a checkpoint
 * cannot be written. */
typedef gboolean (*FbTrainProgressFunc) (FbTrainer             *trainer,
                                         const FbTrainProgress *progress,
                                         gpointer               user_data,
                                         GError               **error);

void           fb_train_options_init        (FbTrainOptions       *options);

/* @init (may be NULL: random initialization from the seed) provides the
 * tensors; its checkpoint state, if any, is not used (fb_trainer_resume). */
FbTrainer     *fb_trainer_new               (FbNetwork            *network,
                                             const FbTrainOptions *options,
                                             FbWeights            *init,
                                             const char           *init_origin,
                                             GError              **error);
void           fb_trainer_free              (FbTrainer            *self);

/* Continues from a checkpoint written by fb_trainer_get_checkpoint: momentum,
 * epoch, step and options (which must then be the checkpoint's; the trainer
 * must have been created from the same checkpoint). */
gboolean       fb_trainer_resume            (FbTrainer            *self,
                                             FbWeights            *checkpoint,
                                             const char           *origin,
                                             GError              **error);
/* Options stored in a checkpoint, to create the trainer that resumes it. */
gboolean       fb_train_options_from_checkpoint (FbTrainOptions   *options,
                                             FbWeights            *checkpoint,
                                             const char           *origin,
                                             GError              **error);

/* Data parallelism over processes (MPI, set up by the CLI): this process
 * computes the shards @owns accepts; then @exchange gets @n_shards records of
 * @record_size bytes (the shards' gradients, batch statistics and losses),
 * each filled only on the process that owns it, and must leave every record
 * on every process.  The trainer then reduces all shards in shard order as
 * one process does, so the weights are byte-identical to a one-process run
 * with the same shard count.  fb_trainer_forward_eval() splits its shards the
 * same way (records: the shards' logits), and fb_trainer_mixed_step() too
 * (records: loss, dL/dp of the activations, the weight gradients), so every
 * process must call them too. */
typedef struct {
  gboolean (*owns)     (guint shard, guint n_shards, gpointer user_data);
  void     (*exchange) (gpointer records, guint n_shards, gsize record_size, gpointer user_data);
  gpointer   user_data;
} FbTrainerShardSplit;

/* @split NULL: every shard in this process (the default). */
void           fb_trainer_set_shard_split   (FbTrainer            *self,
                                             const FbTrainerShardSplit *split);

const FbTrainOptions *fb_trainer_get_options (FbTrainer           *self);
FbNetwork     *fb_trainer_get_network       (FbTrainer            *self);
guint          fb_trainer_get_epoch         (FbTrainer            *self);
guint          fb_trainer_get_step          (FbTrainer            *self);
gboolean       fb_trainer_is_finished       (FbTrainer            *self);

/* One SGD step on @n ≤ batch_size images (float NHWC): of the float
 * model, of the configs of this (epoch, step) for a supernet (gradients of
 * the mean loss over them; @correct counts the all-8 config's), or of the
 * fixed config. */
void           fb_trainer_train_step        (FbTrainer            *self,
                                             const float          *x,
                                             const guint8         *labels,
                                             guint                 n,
                                             double                lr,
                                             double               *loss,
                                             guint                *correct);
/* The same step for a network whose output_kind is "values": the loss is
 * the mean squared error against @targets (@n × outputs floats; for a
 * reconstruction, the input itself). @loss is that MSE. */
void           fb_trainer_train_step_values (FbTrainer            *self,
                                             const float          *x,
                                             const float          *targets,
                                             guint                 n,
                                             double                lr,
                                             double               *loss);
/* Logits of @n ≤ batch_size images in evaluation mode; returns a pointer
 * to n × classes floats owned by the trainer, valid until the next call. */
const float   *fb_trainer_forward_eval      (FbTrainer            *self,
                                             const float          *x,
                                             guint                 n);
/* Float accuracy (fraction) and mean loss over a dataset. */
gboolean       fb_trainer_evaluate          (FbTrainer            *self,
                                             FbDataset            *dataset,
                                             guint                 limit,
                                             GCancellable         *cancellable,
                                             double               *accuracy,
                                             double               *loss,
                                             GError              **error);
/* Trains from the current epoch/step to the end of the last epoch,
 * evaluating @test (may be NULL) after every epoch. Cancelling finishes
 * the current step and returns G_IO_ERROR_CANCELLED. */
gboolean       fb_trainer_run               (FbTrainer            *self,
                                             FbDataset            *train,
                                             FbDataset            *test,
                                             FbTrainProgressFunc   progress,
                                             gpointer              user_data,
                                             GCancellable         *cancellable,
                                             GError              **error);

/* ---- quantization-aware training (fb-fake-quant.h) ----
 *
 * Besides the float tensors, quantized training keeps per weighted layer
 * "w_step" [3][Cout] (LSQ steps for 8, 4, 2 bit; the classifier's single
 * scale repeated over Cout) and per activation tensor, under its producer
 * layer, "act_alpha" [3] = [α8, α4, α2]. They are taken from @init when
 * present; otherwise the steps start at the per-channel MSE optimum and α
 * at the MSE optimum of the activations of the first training batch.
 * Signed tensors (written by a layer without ReLU) are quantized on the
 * symmetric grid [−2^(b−1), 2^(b−1) − 1] with step α / (2^(b−1) − 1). */

/* FIXED mode: the config every step trains (copied). */
gboolean       fb_trainer_set_fixed_config  (FbTrainer            *self,
                                             FbPrecisionConfig    *config,
                                             GError              **error);
/* Whether every activation tensor has its α (trained or calibrated). */
gboolean       fb_trainer_has_act_alpha     (FbTrainer            *self);
/* α from the activations of @n float images (MSE-optimal per bit-width);
 * batch norm in evaluation mode. */
void           fb_trainer_calibrate_act_alpha (FbTrainer          *self,
                                             const float          *x,
                                             guint                 n);
/* Accuracy of the fake-quantized float model of @config (NULL: float) —
 * what the integer network should reproduce up to rounding. Batch norm
 * uses the running statistics. Needs α (FB_ERROR_FIELD otherwise). */
gboolean       fb_trainer_evaluate_config   (FbTrainer            *self,
                                             FbPrecisionConfig    *config,
                                             FbDataset            *dataset,
                                             guint                 limit,
                                             GCancellable         *cancellable,
                                             double               *accuracy,
                                             double               *loss,
                                             GError              **error);
/* Outputs of @n ≤ batch_size images under @config's fake quantization
 * (NULL: float), batch norm in evaluation mode; like fb_trainer_forward_eval.
 * Needs α (fb_trainer_has_act_alpha) when @config is set. */
const float   *fb_trainer_forward_config    (FbTrainer            *self,
                                             FbPrecisionConfig    *config,
                                             const float          *x,
                                             guint                 n);
/* Replaces the running batch-norm statistics by those of @config on
 * @n_images shuffled training images (no augmentation, cumulative mean). */
gboolean       fb_trainer_recalibrate_bn    (FbTrainer            *self,
                                             FbPrecisionConfig    *config,
                                             FbDataset            *train,
                                             guint                 n_images,
                                             GCancellable         *cancellable,
                                             GError              **error);

/* ---- differentiable precision search (fb-diff-search.h) ----
 *
 * One mixed pass (EdMIPS): every weighted layer computes with
 * Σ_b p_w[layer][b]·Q_b(w) and every activation tensor is
 * Σ_b p_a[tensor][b]·Q_b(x), b over 8, 4, 2 bit (index 0, 1, 2; a pooled
 * tensor uses its source's row; rows of other layers and tensors are
 * ignored). Batch norm uses the batch's statistics (training mode) and the
 * running statistics are left alone; no parameter changes. Writes the mean
 * cross-entropy over the @n images, the correct count, and its gradient with
 * respect to every probability into @g_w [n_layers][3] and @g_a [n_tensors][3]
 * (0 where p = 0). Needs α (fb_trainer_has_act_alpha). */
void           fb_trainer_mixed_step        (FbTrainer            *self,
                                             const float          *x,
                                             const guint8         *labels,
                                             guint                 n,
                                             const float          *p_w,
                                             const float          *p_a,
                                             double               *loss,
                                             guint                *correct,
                                             double               *g_w,
                                             double               *g_a);

/* Snapshot of the parameters with a "training" provenance object. */
FbWeights     *fb_trainer_get_weights       (FbTrainer            *self);
/* Snapshot plus momentum buffers and a "checkpoint" object to resume. */
FbWeights     *fb_trainer_get_checkpoint    (FbTrainer            *self);
/* Float test accuracy after the last completed epoch, or NAN. */
double         fb_trainer_get_test_accuracy (FbTrainer            *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbTrainer, fb_trainer_free)

G_END_DECLS
