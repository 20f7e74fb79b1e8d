/* fb-search-uniform.c — uniform wXaY baselines.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-search-uniform.h"

/* wXaY with @start's pinned entries (bits and pin flags) carried over. */
static FbPrecisionConfig *
uniform_with_pins (FbNetwork *net, FbPrecisionConfig *start, guint w, guint a, GError **error)
{
  g_autoptr(FbPrecisionConfig) c = fb_precision_config_new (net);

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      if (!fb_layer_is_weighted (fb_network_get_layer (net, i)))
        continue;
      if (start && fb_precision_config_get_weight_pinned (start, i))
        {
          fb_precision_config_set_weight_bits (c, i, fb_precision_config_get_weight_bits (start, i));
          fb_precision_config_set_weight_pinned (c, i, TRUE);
        }
      else
        fb_precision_config_set_weight_bits (c, i, w);
    }
  for (guint t = 0; t < fb_network_get_n_tensors (net); t++)
    {
      if (fb_network_get_tensor (net, t)->kind != FB_TENSOR_ACTIVATION)
        continue;
      if (start && fb_precision_config_get_tensor_pinned (start, t))
        {
          fb_precision_config_set_tensor_bits (c, t, fb_precision_config_get_tensor_bits (start, t));
          fb_precision_config_set_tensor_pinned (c, t, TRUE);
        }
      else
        fb_precision_config_set_tensor_bits (c, t, a);
    }
  if (!fb_precision_config_validate (c, error))
    return NULL;
  return g_steal_pointer (&c);
}

gboolean
fb_search_uniform (FbNetwork *network, FbLatencyTable *table, FbPrecisionConfig *start,
                   const FbSearchConstraints *constraints, FbSearchCandidateFunc candidate_func,
                   FbSearchProgressFunc progress_func, gpointer user_data,
                   GCancellable *cancellable, GError **error)
{
  static const guint bits[] = { 8, 4, 2 };
  guint done = 0;

  for (guint wi = 0; wi < G_N_ELEMENTS (bits); wi++)
    for (guint ai = 0; ai < G_N_ELEMENTS (bits); ai++)
      {
        g_autofree char *name = g_strdup_printf ("w%ua%u", bits[wi], bits[ai]);
        g_autoptr(FbPrecisionConfig) c = NULL;
        g_autoptr(GError) local = NULL;
        g_autoptr(FbCandidate) cand = NULL;
        g_autoptr(JsonObject) prov = json_object_new ();

        if (g_cancellable_set_error_if_cancelled (cancellable, error))
          return FALSE;
        if (progress_func)
          progress_func ((double) done / 9.0, name, user_data);
        done++;

        /* A packing that cannot hold these bits makes the baseline inadmissible. */
        c = uniform_with_pins (network, start, bits[wi], bits[ai], &local);
        if (c == NULL)
          continue;
        json_object_set_string_member (prov, "method", "uniform");
        json_object_set_string_member (prov, "name", name);
        if (table)
          json_object_set_string_member (prov, "target", fb_latency_table_get_target (table));
        fb_precision_config_set_provenance (c, prov);
        cand = fb_candidate_new_evaluated (c, table, NAN, "uniform", prov, error);
        if (cand == NULL)
          return FALSE;
        if (fb_search_constraints_check (constraints, fb_candidate_get_metrics (cand), NAN) && candidate_func)
          candidate_func (cand, user_data);
      }
  if (progress_func)
    progress_func (1.0, "done", user_data);
  return TRUE;
}
