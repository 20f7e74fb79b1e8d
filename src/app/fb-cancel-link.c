/* fb-cancel-link.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-cancel-link.h"

static void
on_parent_cancelled (GCancellable *parent, gpointer user_data)
{
  /* May run in any thread; GCancellable is thread-safe. */
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

void
fb_cancel_link_connect (FbCancelLink *self, GCancellable *parent, GCancellable *child)
{
  g_return_if_fail (self->parent == NULL && G_IS_CANCELLABLE (parent) && G_IS_CANCELLABLE (child));
  self->parent = g_object_ref (parent);
  self->handler = g_cancellable_connect (parent, G_CALLBACK (on_parent_cancelled), g_object_ref (child),
                                         g_object_unref);
}

void
fb_cancel_link_clear (FbCancelLink *self)
{
  if (self->parent != NULL && self->handler != 0)
    g_cancellable_disconnect (self->parent, self->handler);
  self->handler = 0;
  g_clear_object (&self->parent);
}
