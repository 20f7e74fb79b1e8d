/* fb-trainer-run.c — quantization-aware parts of the trainer (fixed
 * configs, act_alpha calibration, batch-norm recalibration, evaluation of a
 * config) and the epoch loop, fb_trainer_run.
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
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("the config is for another network than \"%s\""),
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
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("the config is for another network than \"%s\""),
                   fb_network_get_name (self->network));
      return FALSE;
    }
  if (!self->alpha_ready)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("network \"%s\": the weights have no act_alpha (activation clipping values); "
                     "train them with --supernet or fine-tune a config first"),
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
                   _("cannot resume at step %u: an epoch of %u images has %u steps of %u"),
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
                           _("training diverged at epoch %u step %u (loss %g); try a smaller --lr"),
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
