/* fb-free-bits-change.h — one step of the Free Bits heuristic, for the report.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  gboolean  is_weight;       /* weights of layer @index, else activation tensor @index */
  guint     index;
  guint     old_bits;
  guint     new_bits;
  double    latency_before;  /* of the affected layers, table units */
  double    latency_after;
  /* Lowering step only (else NAN): the oracle's accuracy before and after. */
  double    accuracy_before;
  double    accuracy_after;
  /* FALSE for a lowering the oracle vetoed (logged so the report says why). */
  gboolean  applied;
  char     *message;         /* e.g. "pw3 weights 4→8: latency 12034→12034 instructions (free)" */
} FbFreeBitsChange;

FbFreeBitsChange *fb_free_bits_change_new  (gboolean    is_weight,
                                            guint       index,
                                            guint       old_bits,
                                            guint       new_bits,
                                            double      latency_before,
                                            double      latency_after,
                                            const char *message);
void              fb_free_bits_change_free (FbFreeBitsChange *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbFreeBitsChange, fb_free_bits_change_free)

G_END_DECLS
