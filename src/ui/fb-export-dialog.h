/* fb-export-dialog.h — the options of "Export C Bundle…": where, test images, replace.
 *
 * Only collects the choices; the window runs the export (FbBundleJob).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define FB_TYPE_EXPORT_DIALOG (fb_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (FbExportDialog, fb_export_dialog, FB, EXPORT_DIALOG, GtkDialog)

/* @folder: the parent folder offered first; @name: the bundle folder's
 * name ("fmnist-mbv1-w4a8"); @description: one line about the config. */
FbExportDialog *fb_export_dialog_new        (GtkWindow      *parent,
                                             const char     *folder,
                                             const char     *name,
                                             const char     *description);
/* The bundle directory (folder + name), or NULL if either is empty. */
char           *fb_export_dialog_get_path   (FbExportDialog *self);
guint           fb_export_dialog_get_images (FbExportDialog *self);
gboolean        fb_export_dialog_get_force  (FbExportDialog *self);

G_END_DECLS
