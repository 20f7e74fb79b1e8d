/* fb-search-summary.c — a short text for a config.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-search-summary.h"

char *
fb_search_config_summary (FbPrecisionConfig *c)
{
  FbNetwork *net = fb_precision_config_get_network (c);
  guint wn[9] = { 0 }, an[9] = { 0 };
  GString *s = g_string_new (NULL);
  guint nw = 0, na = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_layer_is_weighted (fb_network_get_layer (net, i)))
      {
        wn[fb_precision_config_get_weight_bits (c, i)]++;
        nw++;
      }
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    if (fb_network_get_tensor (net, t)->kind == FB_TENSOR_ACTIVATION)
      {
        an[fb_precision_config_get_tensor_bits (c, t)]++;
        na++;
      }
  for (guint b = 2; b <= 8; b *= 2)
    for (guint a = 2; a <= 8; a *= 2)
      if (wn[b] == nw && an[a] == na)
        {
          g_string_printf (s, "w%ua%u", b, a);
          return g_string_free (s, FALSE);
        }
  g_string_append (s, "w");
  for (guint b = 8; b >= 2; b /= 2)
    if (wn[b])
      g_string_append_printf (s, " %u:%u", b, wn[b]);
  g_string_append (s, " · a");
  for (guint b = 8; b >= 2; b /= 2)
    if (an[b])
      g_string_append_printf (s, " %u:%u", b, an[b]);
  return g_string_free (s, FALSE);
}
