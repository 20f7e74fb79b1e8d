/* fb-search-measure.c — measure search results through an accuracy oracle.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-search-measure.h"

void
fb_search_measure_progress (guint done, guint n, gpointer data)
{
  FbSearchMeasureProgress *p = data;
  guint total = p->total > 0 ? p->total : n;
  g_autofree char *msg = NULL;

  /* As before: "i/n" while the i-th is measured, the fraction of those done. */
  if (done >= n)
    return;
  msg = g_strdup_printf ("%s %u/%u%s", p->label, p->offset + done + 1, total, p->suffix);
  if (p->of_call)
    p->func (p->start + p->span * done / MAX (n, 1), msg, p->data);
  else
    p->func (p->start + p->span * (p->offset + done) / MAX (total, 1), msg, p->data);
}

gboolean
fb_search_measure (GPtrArray *in, FbAccuracyOracle *oracle, guint limit,
                   const FbSearchConstraints *constraints, FbSearchProgressFunc progress_func,
                   gpointer user_data, GCancellable *cancellable, GPtrArray **out, GError **error)
{
  g_autofree FbPrecisionConfig **configs = g_new0 (FbPrecisionConfig *, MAX (in->len, 1));
  g_autofree double *accuracy = g_new0 (double, MAX (in->len, 1));
  FbSearchMeasureProgress mp = { progress_func, user_data, "accuracy of result",
                                  limit ? " (limited images)" : " (all images)", 0, 0, 0.0, 1.0, FALSE };

  /* One call: the oracle shares work between the configs (batch-norm
   * recalibration of common prefixes) and runs them in parallel. */
  for (guint i = 0; i < in->len; i++)
    configs[i] = fb_candidate_get_config (g_ptr_array_index (in, i));
  if (!fb_accuracy_oracle_evaluate_many (oracle, configs, in->len, limit,
                                         progress_func ? fb_search_measure_progress : NULL, &mp, cancellable,
                                         accuracy, error))
    return FALSE;
  if (progress_func)
    progress_func (1.0, "accuracy: done", user_data);
  *out = fb_search_measure_collect (in, accuracy, oracle, limit, constraints);
  return TRUE;
}

GPtrArray *
fb_search_measure_collect (GPtrArray *in, const double *accuracy, FbAccuracyOracle *oracle, guint limit,
                           const FbSearchConstraints *constraints)
{
  GPtrArray *res = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_candidate_unref);

  for (guint i = 0; i < in->len; i++)
    {
      FbCandidate *c = g_ptr_array_index (in, i);
      g_autoptr(JsonObject) extra = json_object_new ();

      if (!fb_search_constraints_check (constraints, fb_candidate_get_metrics (c), accuracy[i]))
        continue;
      json_object_set_string_member (extra, "oracle", fb_accuracy_oracle_get_name (oracle));
      json_object_set_int_member (extra, "accuracy_limit", limit);
      g_ptr_array_add (res, fb_candidate_new_with_accuracy (c, accuracy[i], extra));
    }
  return res;
}
