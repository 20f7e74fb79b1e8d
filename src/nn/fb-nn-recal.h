/* fb-nn-recal.h — batch-norm recalibration of supernet weights for many
 * configs at once (the accuracy oracle's expensive step).
 *
 * fb_supernet_specialize() re-estimates a config's batch-norm statistics on
 * the first n training images: a fake-quantized forward pass in training
 * mode over shuffled batches split into shards, the shards' batch means and
 * unbiased variances averaged. The statistics of layer i depend only on the
 * bits of layers 0..i (the weights of 0..i, the activations written by
 * 0..i−1). FbNnRecal keeps a trie of those prefixes: configs that share
 * their first layers' bits share that part of the forward pass and its
 * statistics, a layer's convolution and batch norm run once for all its
 * output bit-widths, a prefix is computed once per oracle (later configs
 * only add their new suffix), and no trainer is built per config.
 *
 * It calls the same operations (fb-nn-ops.h, fb-fake-quant.h) on the same
 * shards in the same order, summing the statistics in the same order as
 * fb_trainer_recalibrate_bn(), so the weights it returns are bit-identical
 * to fb_supernet_specialize()'s for the parts the integer network folds
 * (weights, batch norm, w_step of the config's bits, act_alpha, bias):
 * tests/nn/test-nn-recal.c checks that tensor by tensor.
 *
 * Threads: fb_nn_recal_run() splits the trie into subtrees run on a thread
 * pool; every statistic is summed by one thread in shard order, so the
 * result does not depend on the thread count.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-precision-config.h"
#include "fb-weights.h"

G_BEGIN_DECLS

typedef struct _FbNnRecal FbNnRecal;

/* Whether @weights (supernet weights, see fb_int_network_is_supernet())
 * can be recalibrated by FbNnRecal: every weighted layer has its w_step,
 * every activation tensor its act_alpha, and the ops are the trainer's. */
gboolean   fb_nn_recal_supports (FbNetwork          *network,
                                 FbWeights          *weights);

/* @n_images: the first training images (as fb_supernet_specialize). */
FbNnRecal *fb_nn_recal_new      (FbNetwork          *network,
                                 FbWeights          *weights,
                                 const char         *origin,
                                 FbDataset          *train,
                                 guint               n_images,
                                 GError            **error);
void       fb_nn_recal_free     (FbNnRecal          *self);

/* Recalibrates every config of @configs whose statistics are not known yet,
 * on @n_threads threads (0: fb_nn_threads_init()). Thread-safe (runs are
 * serialized). */
gboolean   fb_nn_recal_run      (FbNnRecal          *self,
                                 FbPrecisionConfig **configs,
                                 guint               n_configs,
                                 guint               n_threads,
                                 GCancellable       *cancellable,
                                 GError            **error);

/* The weights of @config with its recalibrated batch norm, as
 * fb_int_network_weights_for_config() (the supernet itself for all-8);
 * recalibrates first when needed. A new reference. */
FbWeights *fb_nn_recal_weights  (FbNnRecal          *self,
                                 FbPrecisionConfig  *config,
                                 GCancellable       *cancellable,
                                 GError            **error);

/* Layer forward passes run and shard statistics summed since creation (for
 * the tests and the benchmark: what the prefix sharing saved). */
guint64    fb_nn_recal_get_n_layer_passes (FbNnRecal *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbNnRecal, fb_nn_recal_free)

G_END_DECLS
