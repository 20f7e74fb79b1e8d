/* fb-trainer-checkpoint.c — the trainer's weights (freebits-weights/1
 * with the training provenance) and checkpoints, and resuming from one.
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
      json_object_set_int_member (obj, "min_bits", o->min_bits);
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
          g_autofree char *sampling =
            g_strdup_printf ("per step: all-8, all-%u (sandwich rule) and random_configs configs drawn "
                             "uniformly among the bit-widths %s per weighted layer and activation tensor; "
                             "gradients of the mean loss over them, one optimizer step",
                             self->opt.min_bits, self->opt.min_bits == 8 ? "8" : self->opt.min_bits == 4 ? "8, 4" : "8, 4, 2");
          json_object_set_string_member (q, "sampling", sampling);
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
  json_object_set_string_member (training, "float_backend", fb_nn_float_backend ());
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
                                 "random_configs", "distill", "min_bits", NULL };
  JsonObject *ck = fb_weights_get_checkpoint (checkpoint), *obj = NULL;
  g_autofree char *where = g_strdup_printf ("%s: checkpoint.options", origin);
  gint64 epochs = 0, batch = 0, shards = 0, seed = 0, limit = 0;

  if (ck == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: not a checkpoint (no \"checkpoint\" object): it cannot be resumed"), origin);
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
    gint64 random = o->random_configs, min_bits = o->min_bits;
    if (!fb_json_get_string (obj, "quantization", where, FALSE, &quant, error) ||
        !fb_json_get_int (obj, "random_configs", where, FALSE, 0, 64, &random, error) ||
        !fb_json_get_bool (obj, "distill", where, FALSE, &o->distill, error) ||
        !fb_json_get_int (obj, "min_bits", where, FALSE, 2, 8, &min_bits, error))
      return FALSE;
    if (min_bits != 2 && min_bits != 4 && min_bits != 8)
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: min_bits %d is not 2, 4 or 8"),
                     where, (int) min_bits);
        return FALSE;
      }
    o->quant = FB_TRAIN_FLOAT;
    for (guint q = 0; quant != NULL && q < G_N_ELEMENTS (quant_names); q++)
      if (g_str_equal (quant, quant_names[q]))
        o->quant = (FbTrainQuant) q;
    if (quant != NULL && !g_str_equal (quant, quant_names[o->quant]))
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     _("%s: quantization \"%s\" is not one of float, supernet, fixed"), where, quant);
        return FALSE;
      }
    o->random_configs = (guint) random;
    o->min_bits = (guint) min_bits;
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
                   _("%s: not a checkpoint (no \"checkpoint\" object): it cannot be resumed"), origin);
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
