/* fb-search-constraints.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-search-constraints.h"

void
fb_search_constraints_init (FbSearchConstraints *self)
{
  self->max_latency = INFINITY;
  self->max_size = 0;
  self->max_ram = 0;
  self->min_accuracy = NAN;
}

gboolean
fb_search_constraints_has_latency (const FbSearchConstraints *self)
{
  return isfinite (self->max_latency);
}

gboolean
fb_search_constraints_check (const FbSearchConstraints *self, const FbMetrics *m, double accuracy)
{
  if (self == NULL)
    return TRUE;
  if (isfinite (self->max_latency) && !(m->latency <= self->max_latency))
    return FALSE;
  if (self->max_size > 0 && m->size_bytes > self->max_size)
    return FALSE;
  /* The bundle's RAM (arena + kernel scratch); 0 means no bundle can be built. */
  if (self->max_ram > 0 && (m->ram_bytes == 0 || m->ram_bytes > self->max_ram))
    return FALSE;
  if (!isnan (self->min_accuracy) && !isnan (accuracy) && accuracy < self->min_accuracy)
    return FALSE;
  return TRUE;
}
