/* fb-supernet.c — one config specialized out of supernet weights (it runs
 * the trainer; the trainer needs only fb-supernet-config.h).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-supernet.h"
#include "fb-json.h"
#include "fb-trainer.h"

FbWeights *
fb_supernet_specialize (FbWeights *supernet, const char *origin, FbPrecisionConfig *config,
                        FbDataset *train, guint n_images, GCancellable *cancellable, GError **error)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  g_autoptr(FbTrainer) trainer = NULL;
  FbTrainOptions opt;
  FbWeights *w;
  JsonObject *training;
  g_autofree char *cfg = NULL;

  fb_train_options_init (&opt);
  opt.quant = FB_TRAIN_FIXED;
  trainer = fb_trainer_new (net, &opt, supernet, origin, error);
  if (trainer == NULL ||
      !fb_trainer_recalibrate_bn (trainer, config, train, n_images, cancellable, error))
    return NULL;
  w = fb_trainer_get_weights (trainer);
  /* Keep the supernet's provenance, and say what was changed. */
  training = fb_weights_get_training (supernet);
  if (training != NULL)
    {
      g_autoptr(JsonObject) copy = fb_json_object_copy_deep (training);
      fb_weights_set_training (w, copy);
    }
  training = fb_weights_get_training (w);
  cfg = fb_precision_config_to_string (config);
  {
    g_autoptr(JsonObject) spec = json_object_new ();
    json_object_set_string_member (spec, "config", cfg);
    json_object_set_int_member (spec, "bn_recalibration_images", n_images);
    json_object_set_object_member (training, "specialized", json_object_ref (spec));
  }
  return w;
}
