/* fb-optimizer.h — SGD with (Nesterov) momentum and decoupled parameter groups.
 *
 * Parameters are registered as (value, gradient) float arrays the caller
 * owns; the optimizer owns the momentum buffers and can put them into, and
 * take them back from, a checkpoint (FbWeights) for exact resumption.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-weights.h"

G_BEGIN_DECLS

typedef struct _FbOptimizer FbOptimizer;

FbOptimizer *fb_optimizer_new_sgd      (double        momentum,
                                        gboolean      nesterov,
                                        double        weight_decay);
void         fb_optimizer_free         (FbOptimizer  *self);

/* @decay: whether weight decay applies (weights yes; batch-norm γ/β and
 * biases no: decaying them only fights the normalization). */
void         fb_optimizer_add          (FbOptimizer  *self,
                                        const char   *layer,
                                        const char   *param,
                                        float        *value,
                                        float        *grad,
                                        gsize         n,
                                        gboolean      decay);
/* One update with learning rate @lr; gradients are left as they are. */
void         fb_optimizer_step         (FbOptimizer  *self,
                                        double        lr);
void         fb_optimizer_zero_grad    (FbOptimizer  *self);

/* Adds a "PARAM@momentum" tensor per parameter to @weights. */
void         fb_optimizer_save_state   (FbOptimizer  *self,
                                        FbWeights    *weights);
gboolean     fb_optimizer_load_state   (FbOptimizer  *self,
                                        FbWeights    *weights,
                                        const char   *origin,
                                        GError      **error);

/* Linear warm-up from lr/warmup_steps to @base over @warmup steps, then
 * cosine decay to 0 at @total steps. */
double       fb_optimizer_cosine_lr    (double        base,
                                        guint64       step,
                                        guint64       total,
                                        guint64       warmup);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbOptimizer, fb_optimizer_free)

G_END_DECLS
