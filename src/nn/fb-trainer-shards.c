/* fb-trainer-shards.c — the trainer's shard pool (the shards of a batch
 * run on a few threads that meet once per step) and the reduction of the
 * shards' gradients into the step totals the optimizer reads.
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

/* ---- the shard pool ------------------------------------------------------ */

static void
run_assigned (FbTrainer *self, guint thread, ShardFunc fn)
{
  for (guint s = thread; s < self->n_shards; s += self->n_threads)
    fn (&self->shards[s]);
}

gpointer
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
void
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

/* Over the shards that ran (n > 0), in shard order: the sum of loss ×
 * images, the correct answers and the images. Returns how many ran. */
guint
shard_totals (FbTrainer *self, double *loss_sum, guint *correct, guint *seen)
{
  guint used = 0;

  *loss_sum = 0.0;
  *correct = *seen = 0;
  for (guint s = 0; s < self->n_shards; s++)
    {
      const Shard *sh = &self->shards[s];
      if (sh->n == 0)
        continue;
      *loss_sum += sh->loss * sh->n;
      *correct += sh->correct;
      *seen += sh->n;
      used++;
    }
  return used;
}

/* Adds the gradients of one pass (summed over shards into shard 0, in
 * shard order) to the step totals, through the weights' fake quantization. */
void
reduce_pass (FbTrainer *self, gboolean update_running, double *loss, guint *correct)
{
  double total_loss;
  guint right, seen, used = shard_totals (self, &total_loss, &right, &seen);

  for (guint s = 0; s < self->n_shards; s++)
    {
      Shard *sh = &self->shards[s];
      if (sh->n == 0)
        continue;
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
void
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

void
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

void
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
