/* fb-export-dialog.c — the options of "Export C Bundle…".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fb-export-dialog.h"
#include "fb-exporter.h"

struct _FbExportDialog {
  GtkDialog             parent_instance;

  GtkFileChooserButton *folder_button;
  GtkEntry             *name_entry;
  GtkSpinButton        *images_spin;
  GtkCheckButton       *force_check;
};

G_DEFINE_FINAL_TYPE (FbExportDialog, fb_export_dialog, GTK_TYPE_DIALOG)

static void
update_sensitive (FbExportDialog *self)
{
  g_autofree char *path = fb_export_dialog_get_path (self);

  gtk_dialog_set_response_sensitive (GTK_DIALOG (self), GTK_RESPONSE_ACCEPT, path != NULL);
}

static GtkWidget *
add_row (GtkGrid *grid, int row, const char *label, GtkWidget *widget, const char *hint)
{
  GtkWidget *name = gtk_label_new_with_mnemonic (label);

  gtk_label_set_xalign (GTK_LABEL (name), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (name), widget);
  gtk_style_context_add_class (gtk_widget_get_style_context (name), "dim-label");
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_grid_attach (grid, name, 0, row, 1, 1);
  gtk_grid_attach (grid, widget, 1, row, 1, 1);
  if (hint != NULL)
    {
      GtkWidget *note = gtk_label_new (hint);
      gtk_label_set_xalign (GTK_LABEL (note), 0);
      gtk_label_set_line_wrap (GTK_LABEL (note), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (note), 50);
      gtk_style_context_add_class (gtk_widget_get_style_context (note), "dim-label");
      gtk_style_context_add_class (gtk_widget_get_style_context (note), "fb-metric-note");
      gtk_grid_attach (grid, note, 1, row + 1, 1, 1);
    }
  return widget;
}

FbExportDialog *
fb_export_dialog_new (GtkWindow *parent, const char *folder, const char *name, const char *description)
{
  FbExportDialog *self = g_object_new (FB_TYPE_EXPORT_DIALOG,
                                       "use-header-bar", TRUE,
                                       "transient-for", parent,
                                       "modal", TRUE,
                                       "title", _("Export C Bundle"),
                                       "resizable", FALSE,
                                       NULL);
  GtkWidget *content = gtk_dialog_get_content_area (GTK_DIALOG (self));
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  GtkWidget *intro = gtk_label_new (description);
  GtkWidget *button;

  gtk_dialog_add_button (GTK_DIALOG (self), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (self), _("_Export"), GTK_RESPONSE_ACCEPT);
  gtk_style_context_add_class (gtk_widget_get_style_context (button), "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (self), GTK_RESPONSE_ACCEPT);

  gtk_grid_set_row_spacing (grid, 6);
  gtk_grid_set_column_spacing (grid, 12);
  g_object_set (grid, "margin", 18, NULL);
  gtk_label_set_xalign (GTK_LABEL (intro), 0);
  gtk_label_set_line_wrap (GTK_LABEL (intro), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (intro), 60);
  gtk_widget_set_margin_bottom (intro, 6);
  gtk_grid_attach (grid, intro, 0, 0, 2, 1);

  self->folder_button = GTK_FILE_CHOOSER_BUTTON (
    gtk_file_chooser_button_new (_("Folder for the Bundle"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER));
  if (folder != NULL)
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->folder_button), folder);
  add_row (grid, 1, _("_Folder"), GTK_WIDGET (self->folder_button), NULL);

  self->name_entry = GTK_ENTRY (gtk_entry_new ());
  gtk_entry_set_text (self->name_entry, name != NULL ? name : "");
  gtk_entry_set_activates_default (self->name_entry, TRUE);
  add_row (grid, 2, _("_Name"), GTK_WIDGET (self->name_entry),
           _("A new folder with network.c, weights.c, the kernels, a harness and a Makefile."));

  self->images_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 10000, 100));
  gtk_spin_button_set_value (self->images_spin, FB_EXPORTER_DEFAULT_IMAGES);
  gtk_widget_set_halign (GTK_WIDGET (self->images_spin), GTK_ALIGN_START);
  add_row (grid, 4, _("_Test images"), GTK_WIDGET (self->images_spin),
           _("The first Fashion-MNIST test images go into the bundle; their accuracy and logits "
             "checksum, computed here, are the expected output of the harness. 0: none."));

  self->force_check = GTK_CHECK_BUTTON (gtk_check_button_new_with_mnemonic (_("_Replace an existing bundle")));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->force_check),
                               _("Only a folder holding an earlier bundle (or an empty one) is replaced, "
                                 "never other files"));
  gtk_grid_attach (grid, GTK_WIDGET (self->force_check), 1, 6, 1, 1);

  gtk_box_pack_start (GTK_BOX (content), GTK_WIDGET (grid), TRUE, TRUE, 0);
  gtk_widget_show_all (GTK_WIDGET (grid));
  g_signal_connect_swapped (self->name_entry, "changed", G_CALLBACK (update_sensitive), self);
  g_signal_connect_swapped (self->folder_button, "selection-changed", G_CALLBACK (update_sensitive), self);
  update_sensitive (self);
  return self;
}

char *
fb_export_dialog_get_path (FbExportDialog *self)
{
  g_autofree char *folder = NULL;
  const char *name;

  g_return_val_if_fail (FB_IS_EXPORT_DIALOG (self), NULL);
  folder = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (self->folder_button));
  name = gtk_entry_get_text (self->name_entry);
  if (folder == NULL || name == NULL || name[0] == '\0' || strchr (name, G_DIR_SEPARATOR) != NULL)
    return NULL;
  return g_build_filename (folder, name, NULL);
}

guint
fb_export_dialog_get_images (FbExportDialog *self)
{
  g_return_val_if_fail (FB_IS_EXPORT_DIALOG (self), 0);
  return (guint) gtk_spin_button_get_value_as_int (self->images_spin);
}

gboolean
fb_export_dialog_get_force (FbExportDialog *self)
{
  g_return_val_if_fail (FB_IS_EXPORT_DIALOG (self), FALSE);
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->force_check));
}

static void
fb_export_dialog_class_init (FbExportDialogClass *klass)
{
}

static void
fb_export_dialog_init (FbExportDialog *self)
{
}
