/* fb-supernet.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-supernet.h"
#include "fb-trainer.h"

static const guint all_bits[3] = { 8, 4, 2 };

FbPrecisionConfig *
fb_supernet_config_max (FbNetwork *network)
{
  /* Unset entries are 8 bit, and 8 bit always packs. */
  return fb_precision_config_new (network);
}

FbPrecisionConfig *
fb_supernet_config_min (FbNetwork *network)
{
  FbPrecisionConfig *c = fb_precision_config_new (network);

  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (network, i)))
      for (guint b = 3; b-- > 0;)
        if (fb_network_layer_admits_weight_bits (network, i, all_bits[b]))
          {
            fb_precision_config_set_weight_bits (c, i, all_bits[b]);
            break;
          }
  for (guint t = 0; t < fb_network_get_n_tensors (network); t++)
    if (fb_network_get_tensor (network, t)->kind == FB_TENSOR_ACTIVATION)
      for (guint b = 3; b-- > 0;)
        if (fb_network_tensor_admits_bits (network, t, all_bits[b]))
          {
            fb_precision_config_set_tensor_bits (c, t, all_bits[b]);
            break;
          }
  return c;
}

static guint
pick (GRand *rand, const gboolean ok[3])
{
  guint choices[3], n = 0;

  for (guint b = 0; b < 3; b++)
    if (ok[b])
      choices[n++] = all_bits[b];
  return choices[g_rand_int_range (rand, 0, (gint32) n)];
}

FbPrecisionConfig *
fb_supernet_config_random (FbNetwork *network, GRand *rand)
{
  FbPrecisionConfig *c = fb_precision_config_new (network);

  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (network, i)))
      {
        gboolean ok[3];
        for (guint b = 0; b < 3; b++)
          ok[b] = fb_network_layer_admits_weight_bits (network, i, all_bits[b]);
        fb_precision_config_set_weight_bits (c, i, pick (rand, ok));
      }
  for (guint t = 0; t < fb_network_get_n_tensors (network); t++)
    if (fb_network_get_tensor (network, t)->kind == FB_TENSOR_ACTIVATION)
      {
        gboolean ok[3];
        for (guint b = 0; b < 3; b++)
          ok[b] = fb_network_tensor_admits_bits (network, t, all_bits[b]);
        fb_precision_config_set_tensor_bits (c, t, pick (rand, ok));
      }
  return c;
}

GPtrArray *
fb_supernet_step_configs (FbNetwork *network, guint32 seed, guint epoch, guint step, guint n_random)
{
  GPtrArray *configs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  guint32 seeds[4] = { seed, epoch, step, 0x5ae1u };
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));

  g_ptr_array_add (configs, fb_supernet_config_max (network));
  g_ptr_array_add (configs, fb_supernet_config_min (network));
  for (guint k = 0; k < n_random; k++)
    g_ptr_array_add (configs, fb_supernet_config_random (network, rand));
  return configs;
}

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
      /* A deep copy (json_node_copy would share the object). */
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *text = NULL;
      g_autoptr(JsonNode) copy = NULL;
      json_node_set_object (node, training);
      text = json_to_string (node, FALSE);
      copy = json_from_string (text, NULL);
      if (copy != NULL && JSON_NODE_HOLDS_OBJECT (copy))
        fb_weights_set_training (w, json_node_get_object (copy));
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
