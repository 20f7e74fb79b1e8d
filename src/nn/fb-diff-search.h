/* fb-diff-search.h — the hardware-agnostic stage of Free Bits: a
 * differentiable mixed-precision search in the style of EdMIPS (Cai and
 * Vasconcelos, CVPR 2020) on the quantization-aware supernet.
 *
 * Every weighted layer's weights and every activation tensor get
 * architecture logits θ over the bit-widths they admit (8, 4, 2; pinned
 * entries keep their bits). A mixed forward pass computes each of them as
 * Σ_b softmax(θ)_b · Q_b(x) (fb_trainer_mixed_step), and θ descends
 *
 *     cross-entropy + λ · E[cost] / cost(all 8 bit)
 *
 * where the cost is the model size (Flash bytes of the weights, the Free Bits
 * paper's regularizer: it prices weight bits only) or BOPs (MACs × weight bits
 * × input activation bits: the BOPs-targeted baseline; the expectation of the
 * product is the product of the expectations, the choices being independent).
 * The supernet's weights, quantization steps and α stay fixed: what is learned
 * is only which precision each entry prefers, so a search takes a fraction of
 * an epoch. Batch norm uses the batch's statistics, as in training.
 *
 * The result of one λ is the argmax config (ties to the higher bit-width).
 * A sweep over λ yields a family from large (λ = 0) to small; each λ starts
 * from θ = 0 on the same batches, so the sweep is deterministic and the
 * results independent of its order.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-precision-config.h"
#include "fb-trainer.h"
#include "fb-weights.h"

G_BEGIN_DECLS

typedef enum {
  FB_DIFF_COST_SIZE,   /* Flash bytes of the weights */
  FB_DIFF_COST_BOPS,   /* MACs × weight bits × input activation bits */
} FbDiffCost;

const char *fb_diff_cost_to_string   (FbDiffCost   cost);
gboolean    fb_diff_cost_from_string (const char  *text,
                                      FbDiffCost  *cost);

typedef struct {
  FbDiffCost         cost;
  guint              steps;        /* θ updates per λ (default 300) */
  guint              batch_size;   /* default 128 */
  double             lr;           /* Adam step on θ (default 0.05) */
  guint32            seed;         /* batches and augmentation (default 1) */
  guint              limit_train;  /* first N training images (0: all) */
  FbPrecisionConfig *start;        /* its pinned entries hold (may be NULL; borrowed) */
  guint              shards;       /* each step's batch split (0: the trainer's default, 2) */
  const FbTrainerShardSplit *split;  /* the shards over processes (NULL: all here; borrowed) */
} FbDiffSearchOptions;

void fb_diff_search_options_init (FbDiffSearchOptions *options);

typedef struct {
  double lambda;
  double expected_cost;   /* E[cost] / cost(all 8) at the end */
  double cost;            /* the argmax config's cost / cost(all 8) */
  double loss;            /* mean cross-entropy of the mixed model, last quarter of the steps */
  double train_accuracy;  /* of the mixed model, same steps */
  double seconds;
  guint  steps;
} FbDiffSearchResult;

/* @config is borrowed (copy it to keep it). */
typedef void (*FbDiffSearchResultFunc)   (FbPrecisionConfig        *config,
                                          const FbDiffSearchResult *result,
                                          gpointer                  user_data);
/* Same signature as FbSearchProgressFunc. */
typedef void (*FbDiffSearchProgressFunc) (double                    fraction,
                                          const char               *message,
                                          gpointer                  user_data);

/* One λ sweep: what fb_diff_search_sweep() and fb_diff_split_sweep() (an
 * MPI run's ranks) take.  All borrowed. */
typedef struct {
  FbNetwork                 *network;
  FbWeights                 *supernet;      /* trained, with act_alpha (a supernet, or calibrated float weights) */
  const char                *origin;        /* where @supernet comes from, for provenance */
  FbDataset                 *train;
  const FbDiffSearchOptions *options;
  const double              *lambdas;       /* each ≥ 0 */
  guint                      n_lambdas;
  FbDiffSearchResultFunc     result_func;   /* may be NULL */
  FbDiffSearchProgressFunc   progress_func; /* may be NULL */
  gpointer                   user_data;     /* for both functions */
  GCancellable              *cancellable;   /* may be NULL */
} FbDiffSweep;

/* Runs one search per λ of @sweep's lambdas, in order, calling its
 * result_func after each. Cancelling stops between steps
 * (G_IO_ERROR_CANCELLED). */
gboolean fb_diff_search_sweep (const FbDiffSweep *sweep,
                               GError           **error);

/* Expected cost under the probabilities @p_w [n_layers][3] and @p_a
 * [n_tensors][3] (8, 4, 2 bit; a tensor's row is read at its bits source;
 * rows of the input and the logits are ignored), normalized by the all-8
 * config's cost, and its gradient with respect to the probabilities
 * (@g_w / @g_a may be NULL; written, same shapes). Exposed for the tests. */
double   fb_diff_search_expected_cost (FbNetwork               *network,
                                       FbDiffCost               cost,
                                       const float             *p_w,
                                       const float             *p_a,
                                       double                  *g_w,
                                       double                  *g_a);

G_END_DECLS
