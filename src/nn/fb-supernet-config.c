/* fb-supernet-config.c — the precision configs a supernet step trains.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-supernet-config.h"

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
  return fb_supernet_config_min_bits (network, 2);
}

FbPrecisionConfig *
fb_supernet_config_min_bits (FbNetwork *network, guint min_bits)
{
  FbPrecisionConfig *c = fb_precision_config_new (network);

  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (network, i)))
      for (guint b = 3; b-- > 0;)
        if (all_bits[b] >= min_bits && fb_network_layer_admits_weight_bits (network, i, all_bits[b]))
          {
            fb_precision_config_set_weight_bits (c, i, all_bits[b]);
            break;
          }
  for (guint t = 0; t < fb_network_get_n_tensors (network); t++)
    if (fb_network_get_tensor (network, t)->kind == FB_TENSOR_ACTIVATION)
      for (guint b = 3; b-- > 0;)
        if (all_bits[b] >= min_bits && fb_network_tensor_admits_bits (network, t, all_bits[b]))
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
  return fb_supernet_config_random_bits (network, rand, 2);
}

FbPrecisionConfig *
fb_supernet_config_random_bits (FbNetwork *network, GRand *rand, guint min_bits)
{
  FbPrecisionConfig *c = fb_precision_config_new (network);

  for (guint i = 0; i < fb_network_get_n_layers (network); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (network, i)))
      {
        gboolean ok[3];
        for (guint b = 0; b < 3; b++)
          ok[b] = all_bits[b] >= min_bits && fb_network_layer_admits_weight_bits (network, i, all_bits[b]);
        fb_precision_config_set_weight_bits (c, i, pick (rand, ok));
      }
  for (guint t = 0; t < fb_network_get_n_tensors (network); t++)
    if (fb_network_get_tensor (network, t)->kind == FB_TENSOR_ACTIVATION)
      {
        gboolean ok[3];
        for (guint b = 0; b < 3; b++)
          ok[b] = all_bits[b] >= min_bits && fb_network_tensor_admits_bits (network, t, all_bits[b]);
        fb_precision_config_set_tensor_bits (c, t, pick (rand, ok));
      }
  return c;
}

GPtrArray *
fb_supernet_step_configs (FbNetwork *network, guint32 seed, guint epoch, guint step, guint n_random)
{
  return fb_supernet_step_configs_bits (network, seed, epoch, step, n_random, 2);
}

GPtrArray *
fb_supernet_step_configs_bits (FbNetwork *network, guint32 seed, guint epoch, guint step, guint n_random,
                               guint min_bits)
{
  GPtrArray *configs = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_precision_config_free);
  guint32 seeds[4] = { seed, epoch, step, 0x5ae1u };
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));

  g_ptr_array_add (configs, fb_supernet_config_max (network));
  g_ptr_array_add (configs, fb_supernet_config_min_bits (network, min_bits));
  for (guint k = 0; k < n_random; k++)
    g_ptr_array_add (configs, fb_supernet_config_random_bits (network, rand, min_bits));
  return configs;
}
