/* fb-search-constraints.h — budgets every search method honours.
 *
 * Pins are not here: they travel with the start config (its pinned entries keep
 * their bits in every result).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-candidate.h"

G_BEGIN_DECLS

typedef struct {
  double  max_latency;   /* table units; INFINITY = no budget */
  guint64 max_size;      /* Flash bytes; 0 = no budget */
  guint64 max_ram;       /* the bundle's RAM, FbMetrics.ram_bytes; 0 = no budget */
  double  min_accuracy;  /* fraction; NAN = no minimum */
} FbSearchConstraints;

/* No budget at all. */
void     fb_search_constraints_init   (FbSearchConstraints       *self);
/* Whether @metrics fit the budgets. An unknown latency (NAN) fails a latency
 * budget; an unknown accuracy (NAN) passes the minimum: results are measured
 * afterwards (fb_search_measure), which applies it, and without an accuracy
 * engine the CLI refuses --min-accuracy. */
gboolean fb_search_constraints_check  (const FbSearchConstraints *self,
                                       const FbMetrics           *metrics,
                                       double                     accuracy);
gboolean fb_search_constraints_has_latency (const FbSearchConstraints *self);

G_END_DECLS
