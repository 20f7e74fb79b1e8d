/* fb-free-bits-change.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-free-bits-change.h"

FbFreeBitsChange *
fb_free_bits_change_new (gboolean is_weight, guint index, guint old_bits, guint new_bits,
                         double latency_before, double latency_after, const char *message)
{
  FbFreeBitsChange *self = g_new0 (FbFreeBitsChange, 1);

  self->is_weight = is_weight;
  self->index = index;
  self->old_bits = old_bits;
  self->new_bits = new_bits;
  self->latency_before = latency_before;
  self->latency_after = latency_after;
  self->accuracy_before = NAN;
  self->accuracy_after = NAN;
  self->applied = TRUE;
  self->message = g_strdup (message);
  return self;
}

void
fb_free_bits_change_free (FbFreeBitsChange *self)
{
  if (self == NULL)
    return;
  g_free (self->message);
  g_free (self);
}
