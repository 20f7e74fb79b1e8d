/* fb-accuracy-split.c — the accuracy of many configs, split over the ranks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-accuracy-split.h"
#include "fb-mpi.h"
#include "fb-search-measure.h"

gboolean
fb_accuracy_split_evaluate (FbAccuracyOracle *oracle, GPtrArray *configs, guint limit,
                            FbSearchProgressFunc progress_func, gpointer user_data, GCancellable *cancellable,
                            double *accuracy, GError **error)
{
  guint lo, hi;
  /* "accuracy i/n" with i counted over all configs, the fraction over this rank's block. */
  FbSearchMeasureProgress sp = { progress_func, user_data, "accuracy", "", 0, configs ? configs->len : 0,
                                 0.0, 1.0, TRUE };

  g_return_val_if_fail (oracle != NULL && configs != NULL, FALSE);
  fb_mpi_block (configs->len, fb_mpi_get_rank (), &lo, &hi);
  for (guint i = 0; i < configs->len; i++)
    accuracy[i] = 0.0;
  sp.offset = lo;
  /* One call for the rank's block: the oracle shares the batch-norm
   * recalibration of common prefixes between its configs. */
  if (!fb_accuracy_oracle_evaluate_many (oracle, (FbPrecisionConfig **) configs->pdata + lo, hi - lo, limit,
                                         progress_func != NULL ? fb_search_measure_progress : NULL, &sp,
                                         cancellable, accuracy + lo, error))
    return FALSE;
  fb_mpi_allgather_blocks (accuracy, configs->len, sizeof (double));
  return TRUE;
}

gboolean
fb_accuracy_split_measure (GPtrArray *in, FbAccuracyOracle *oracle, guint limit,
                           const FbSearchConstraints *constraints, FbSearchProgressFunc progress_func,
                           gpointer user_data, GCancellable *cancellable, GPtrArray **out, GError **error)
{
  g_autoptr(GPtrArray) configs = g_ptr_array_new ();
  g_autofree double *accuracy = g_new0 (double, MAX (in->len, 1));

  for (guint i = 0; i < in->len; i++)
    g_ptr_array_add (configs, fb_candidate_get_config (g_ptr_array_index (in, i)));
  if (!fb_accuracy_split_evaluate (oracle, configs, limit, progress_func, user_data, cancellable, accuracy, error))
    return FALSE;
  if (progress_func != NULL)
    progress_func (1.0, "accuracy: done", user_data);
  *out = fb_search_measure_collect (in, accuracy, oracle, limit, constraints);
  return TRUE;
}
