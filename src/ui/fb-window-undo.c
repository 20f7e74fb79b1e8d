/* fb-window-undo.c — undo and redo of what the table shows: bit-width edits,
 * pins and "replace the table's config" (a point clicked, a file opened).
 *
 * The window keeps a snapshot of the state it shows; each change pushes the
 * previous snapshot on the undo stack (and forgets the redo stack). Undo
 * restores a snapshot without recording it again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include "fb-window-private.h"

struct _FbWindowSnapshot {
  FbPrecisionConfig *config;     /* owned copy: bits and pins */
  char              *origin;
  char              *source;
  JsonObject        *provenance; /* owned (ref) or NULL */
  gboolean           edited;
};

/* Undo steps kept; older ones are dropped. */
#define MAX_UNDO 100

void
fb_window_snapshot_free (FbWindowSnapshot *s)
{
  if (s == NULL)
    return;
  g_clear_pointer (&s->config, fb_precision_config_free);
  g_free (s->origin);
  g_free (s->source);
  g_clear_pointer (&s->provenance, json_object_unref);
  g_free (s);
}

static FbWindowSnapshot *
snapshot_take (FbWindow *self)
{
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  FbWindowSnapshot *s;

  if (config == NULL)
    return NULL;
  s = g_new0 (FbWindowSnapshot, 1);
  s->config = fb_precision_config_copy (config);
  s->origin = g_strdup (self->config_origin);
  s->source = g_strdup (self->config_source);
  s->provenance = self->config_provenance ? json_object_ref (self->config_provenance) : NULL;
  s->edited = self->edited;
  return s;
}

/* Same bits and same pins (fb_precision_config_equal compares bits only). */
static gboolean
same_config (FbPrecisionConfig *a, FbPrecisionConfig *b)
{
  FbNetwork *net = fb_precision_config_get_network (a);

  if (net != fb_precision_config_get_network (b) || !fb_precision_config_equal (a, b))
    return FALSE;
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    if (fb_precision_config_get_weight_pinned (a, i) != fb_precision_config_get_weight_pinned (b, i))
      return FALSE;
  for (guint i = 0; i < fb_network_get_n_tensors (net); i++)
    if (fb_precision_config_get_tensor_pinned (a, i) != fb_precision_config_get_tensor_pinned (b, i))
      return FALSE;
  return TRUE;
}

static void
update_actions (FbWindow *self)
{
  GAction *undo = g_action_map_lookup_action (G_ACTION_MAP (self), "undo");
  GAction *redo = g_action_map_lookup_action (G_ACTION_MAP (self), "redo");

  if (undo != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (undo), self->undo_stack->len > 0);
  if (redo != NULL)
    g_simple_action_set_enabled (G_SIMPLE_ACTION (redo), self->redo_stack->len > 0);
}

void
fb_window_undo_record (FbWindow *self)
{
  FbWindowSnapshot *now;

  if (self->restoring)
    return;
  now = snapshot_take (self);
  if (now == NULL)
    return;
  if (self->shown != NULL && same_config (self->shown->config, now->config) &&
      g_strcmp0 (self->shown->origin, now->origin) == 0 && self->shown->edited == now->edited)
    {
      fb_window_snapshot_free (now);
      return;
    }
  if (self->shown != NULL)
    {
      g_ptr_array_add (self->undo_stack, g_steal_pointer (&self->shown));
      if (self->undo_stack->len > MAX_UNDO)
        g_ptr_array_remove_index (self->undo_stack, 0);
      g_ptr_array_set_size (self->redo_stack, 0);
    }
  self->shown = now;
  update_actions (self);
}

void
fb_window_undo_reset (FbWindow *self)
{
  g_ptr_array_set_size (self->undo_stack, 0);
  g_ptr_array_set_size (self->redo_stack, 0);
  g_clear_pointer (&self->shown, fb_window_snapshot_free);
  update_actions (self);
}

static void
restore (FbWindow *self, FbWindowSnapshot *s)
{
  self->restoring = TRUE;
  fb_window_set_config_from (self, s->config, s->origin, s->provenance, s->source);
  self->edited = s->edited;
  fb_window_update_summary (self);
  self->restoring = FALSE;
}

/* Moves the top of @from to the shown state, the shown state onto @to. */
static gboolean
step (FbWindow *self, GPtrArray *from, GPtrArray *to)
{
  FbWindowSnapshot *target;

  if (from->len == 0 || self->shown == NULL)
    return FALSE;
  target = g_ptr_array_steal_index (from, from->len - 1);
  g_ptr_array_add (to, g_steal_pointer (&self->shown));
  self->shown = target;
  restore (self, target);
  update_actions (self);
  return TRUE;
}

gboolean
fb_window_undo (FbWindow *self)
{
  return step (self, self->undo_stack, self->redo_stack);
}

gboolean
fb_window_redo (FbWindow *self)
{
  return step (self, self->redo_stack, self->undo_stack);
}

void
fb_window_undo_init (FbWindow *self)
{
  self->undo_stack = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_window_snapshot_free);
  self->redo_stack = g_ptr_array_new_with_free_func ((GDestroyNotify) fb_window_snapshot_free);
}

void
fb_window_undo_finalize (FbWindow *self)
{
  g_clear_pointer (&self->undo_stack, g_ptr_array_unref);
  g_clear_pointer (&self->redo_stack, g_ptr_array_unref);
  g_clear_pointer (&self->shown, fb_window_snapshot_free);
}
