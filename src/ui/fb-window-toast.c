/* fb-window-toast.c — the in-app notification ("toast", GNOME's
 * .app-notification): a short confirmation after a save or an export, with
 * an Open Folder button, sliding down over the top of the window and going
 * away by itself. Problems stay in the info bar.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>

#include "fb-window-private.h"

/* Long enough to read a path, short enough not to linger. */
#define TOAST_SECONDS 6

static void
hide_toast (FbWindow *self)
{
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  gtk_revealer_set_reveal_child (self->toast, FALSE);
}

static gboolean
on_toast_timeout (gpointer user_data)
{
  FbWindow *self = user_data;

  self->toast_timeout = 0;
  gtk_revealer_set_reveal_child (self->toast, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_open_folder (FbWindow *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GError) error = NULL;

  if (self->toast_folder == NULL)
    return;
  file = g_file_new_for_path (self->toast_folder);
  uri = g_file_get_uri (file);
  hide_toast (self);
  if (!gtk_show_uri_on_window (GTK_WINDOW (self), uri, gtk_get_current_event_time (), &error))
    fb_window_show_message (self, GTK_MESSAGE_ERROR, error->message, NULL);
}

void
fb_window_toast_init (FbWindow *self)
{
  GtkWidget *revealer = gtk_revealer_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *open = gtk_button_new_with_mnemonic (_("Open _Folder"));
  GtkWidget *close = gtk_button_new_from_icon_name ("window-close-symbolic", GTK_ICON_SIZE_BUTTON);

  gtk_widget_set_halign (revealer, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (revealer, GTK_ALIGN_START);
  gtk_revealer_set_transition_type (GTK_REVEALER (revealer), GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
  gtk_style_context_add_class (gtk_widget_get_style_context (box), "app-notification");
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  gtk_button_set_relief (GTK_BUTTON (close), GTK_RELIEF_NONE);
  gtk_widget_set_tooltip_text (close, _("Dismiss"));
  g_signal_connect_swapped (open, "clicked", G_CALLBACK (on_open_folder), self);
  g_signal_connect_swapped (close, "clicked", G_CALLBACK (hide_toast), self);
  gtk_container_add (GTK_CONTAINER (box), label);
  gtk_container_add (GTK_CONTAINER (box), open);
  gtk_container_add (GTK_CONTAINER (box), close);
  gtk_container_add (GTK_CONTAINER (revealer), box);
  gtk_widget_show_all (revealer);
  gtk_overlay_add_overlay (self->overlay, revealer);
  self->toast = GTK_REVEALER (revealer);
  self->toast_label = GTK_LABEL (label);
  self->toast_open_button = open;
}

void
fb_window_show_toast (FbWindow *self, const char *message, const char *folder)
{
  gtk_label_set_text (self->toast_label, message);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->toast_label), message);
  g_free (self->toast_folder);
  self->toast_folder = g_strdup (folder);
  gtk_widget_set_visible (self->toast_open_button, folder != NULL);
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  self->toast_timeout = g_timeout_add_seconds (TOAST_SECONDS, on_toast_timeout, self);
  gtk_revealer_set_reveal_child (self->toast, TRUE);
}

void
fb_window_saved (FbWindow *self, const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  /* TRANSLATORS: %s is a file name */
  g_autofree char *msg = g_strdup_printf (_("Saved %s"), base);

  fb_window_show_toast (self, msg, dir);
}

const char *
fb_window_get_toast_message (FbWindow *self)
{
  return gtk_revealer_get_reveal_child (self->toast) ? gtk_label_get_text (self->toast_label) : NULL;
}

void
fb_window_toast_dispose (FbWindow *self)
{
  g_clear_handle_id (&self->toast_timeout, g_source_remove);
  g_clear_pointer (&self->toast_folder, g_free);
}
