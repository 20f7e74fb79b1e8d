/* fb-cancel-link.h — a job's own GCancellable cancelled with a parent one
 * (the window's, cancelled on close), for as long as the job runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  GCancellable *parent;
  gulong        handler;
} FbCancelLink;

/* Cancels @child whenever @parent is cancelled, at once if it already is.
 * @self must be cleared (zero) before. */
void fb_cancel_link_connect (FbCancelLink *self,
                             GCancellable *parent,
                             GCancellable *child);
/* Disconnects and drops the parent; safe to call twice or when unconnected. */
void fb_cancel_link_clear   (FbCancelLink *self);

G_END_DECLS
