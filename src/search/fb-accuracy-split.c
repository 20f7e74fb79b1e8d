/* fb-accuracy-split.c — the accuracy of many configs, split over the ranks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-accuracy-split.h"
#include "fb-mpi.h"

gboolean
fb_accuracy_split_evaluate (FbAccuracyOracle *oracle, GPtrArray *configs, guint limit,
                            FbSearchProgressFunc progress_func, gpointer user_data, GCancellable *cancellable,
                            double *accuracy, GError **error)
{
  guint lo, hi;

  g_return_val_if_fail (oracle != NULL && configs != NULL, FALSE);
  fb_mpi_block (configs->len, fb_mpi_get_rank (), &lo, &hi);
  for (guint i = 0; i < configs->len; i++)
    accuracy[i] = 0.0;
  for (guint i = lo; i < hi; i++)
    {
      if (progress_func != NULL)
        {
          g_autofree char *msg = g_strdup_printf ("accuracy %u/%u", i + 1, configs->len);
          progress_func ((double) (i - lo) / MAX (hi - lo, 1), msg, user_data);
        }
      if (!fb_accuracy_oracle_evaluate (oracle, g_ptr_array_index (configs, i), limit, cancellable, &accuracy[i],
                                        error))
        return FALSE;
    }
  fb_mpi_allgather_blocks (accuracy, configs->len, sizeof (double));
  return TRUE;
}

gboolean
fb_accuracy_split_measure (GPtrArray *in, FbAccuracyOracle *oracle, guint limit,
                           const FbSearchConstraints *constraints, FbSearchProgressFunc progress_func,
                           gpointer user_data, GCancellable *cancellable, GPtrArray **out, GError **error)
{
  g_autoptr(GPtrArray) configs = g_ptr_array_new ();
  g_autoptr(GPtrArray) res = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);
  g_autofree double *accuracy = g_new0 (double, MAX (in->len, 1));

  for (guint i = 0; i < in->len; i++)
    g_ptr_array_add (configs, fb_candidate_get_config (g_ptr_array_index (in, i)));
  if (!fb_accuracy_split_evaluate (oracle, configs, limit, progress_func, user_data, cancellable, accuracy, error))
    return FALSE;
  for (guint i = 0; i < in->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (in, i);
      g_autoptr(JsonObject) extra = NULL;

      if (!fb_search_constraints_check (constraints, fb_candidate_get_metrics (c), accuracy[i]))
        continue;
      /* What fb_search_measure() records. */
      extra = json_object_new ();
      json_object_set_string_member (extra, "oracle", fb_accuracy_oracle_get_name (oracle));
      json_object_set_int_member (extra, "accuracy_limit", limit);
      g_ptr_array_add (res, fb_candidate_new_with_accuracy (c, accuracy[i], extra));
    }
  if (progress_func != NULL)
    progress_func (1.0, "accuracy: done", user_data);
  *out = g_steal_pointer (&res);
  return TRUE;
}
