/* fb-search-measure.c — measure search results through an accuracy oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-search-measure.h"

gboolean
fb_search_measure (GPtrArray *in, FbAccuracyOracle *oracle, guint limit,
                   const FbSearchConstraints *constraints, FbSearchProgressFunc progress_func,
                   gpointer user_data, GCancellable *cancellable, GPtrArray **out, GError **error)
{
  g_autoptr(GPtrArray) res = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);

  for (guint i = 0; i < in->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (in, i);
      g_autoptr(JsonObject) extra = json_object_new ();
      double acc;

      if (progress_func)
        {
          g_autofree char *msg = g_strdup_printf ("accuracy of result %u/%u (%s images)", i + 1, in->len,
                                                  limit ? "limited" : "all");
          progress_func ((double) i / MAX (in->len, 1), msg, user_data);
        }
      if (!fb_accuracy_oracle_evaluate (oracle, fb_candidate_get_config (c), limit, cancellable, &acc, error))
        return FALSE;
      if (!fb_search_constraints_check (constraints, fb_candidate_get_metrics (c), acc))
        continue;
      json_object_set_string_member (extra, "oracle", fb_accuracy_oracle_get_name (oracle));
      json_object_set_int_member (extra, "accuracy_limit", limit);
      g_ptr_array_add (res, fb_candidate_new_with_accuracy (c, acc, extra));
    }
  if (progress_func)
    progress_func (1.0, "accuracy: done", user_data);
  *out = g_steal_pointer (&res);
  return TRUE;
}
