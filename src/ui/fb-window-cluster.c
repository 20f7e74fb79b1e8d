/* fb-window-cluster.c — the window's way to a cluster: "Export Sweep for
 * Cluster…" writes the search set up in the search panel as a folder of
 * inputs and freebits-cli commands (src/app/fb-sweep-export.h: run.sh under
 * mpirun, freebits.sbatch for Slurm); "Open Cluster Results…" opens the
 * result files of such a folder once it has come back.  Both live in a
 * section of the main menu added here, so the window's template is untouched.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>

#include "fb-sweep-export.h"
#include "fb-window-private.h"

#define SWEEP_RANKS 4

gboolean
fb_window_export_sweep (FbWindow *self, const char *dir, GError **error)
{
  FbSearchParams params;
  FbSweepExportOptions o = { 0 };
  g_autoptr(FbPrecisionConfig) start = NULL;
  const char *label;
  FbAccuracyEngine *engine = fb_window_get_accuracy_engine (self);

  g_return_val_if_fail (self->network != NULL, FALSE);
  fb_search_panel_get_params (self->search_panel, &params);
  label = fb_search_panel_get_start (self->search_panel);
  /* The search's start: the table's config (with its pins), or a uniform one. */
  if (fb_search_method_get_info (params.method)->takes & FB_SEARCH_TAKES_START)
    {
      start = label == NULL || g_str_equal (label, FB_SEARCH_PANEL_START_TABLE)
                ? fb_precision_config_copy (fb_layer_table_get_config (self->layer_table))
                : fb_precision_config_new_from_spec (self->network, label, error);
      if (start == NULL)
        return FALSE;
    }
  o = (FbSweepExportOptions) {
    .network = self->network, .table = self->latency, .start = start, .params = &params, .ranks = SWEEP_RANKS,
    .weights_path = engine != NULL ? fb_accuracy_engine_get_weights_path (engine)
                                   : fb_network_get_weights_path (self->network),
    .data_path = self->dataset_path,
  };
  return fb_sweep_export_write (&o, dir, error);
}

guint
fb_window_open_sweep_results (FbWindow *self, const char *dir, GError **error)
{
  g_autoptr(GPtrArray) found = fb_sweep_export_list_results (dir, error);
  g_autoptr(GPtrArray) files = NULL;

  if (found == NULL)
    return 0;
  files = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (files, g_file_new_for_path (g_ptr_array_index (found, i)));
  if (files->len > 0)
    fb_window_open_files (self, (GFile **) files->pdata, files->len);
  return files->len;
}

/* ---- the dialogs --------------------------------------------------------------- */

static char *
chosen_path (GtkNativeDialog *dialog, int response)
{
  g_autoptr(GFile) file = NULL;

  if (response != GTK_RESPONSE_ACCEPT)
    return NULL;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  return file != NULL ? g_file_get_path (file) : NULL;
}

static void
on_export_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  g_autofree char *dir = chosen_path (dialog, response);
  g_autoptr(GError) error = NULL;

  g_object_unref (dialog);
  if (dir == NULL)
    return;
  if (!fb_window_export_sweep (self, dir, &error))
    {
      fb_window_report_gerror (self, error);
      return;
    }
  {
    g_autofree char *message =
      g_strdup_printf (_("Sweep exported to %s: copy the folder to the cluster, run “sbatch freebits.sbatch” "
                         "(or “sh run.sh”) there, copy it back and open it with Open Cluster Results."), dir);
    fb_window_show_message (self, GTK_MESSAGE_INFO, message, dir);
  }
}

static void
on_open_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  g_autofree char *dir = chosen_path (dialog, response);
  g_autoptr(GError) error = NULL;

  g_object_unref (dialog);
  if (dir == NULL)
    return;
  if (fb_window_open_sweep_results (self, dir, &error) == 0)
    {
      if (error != NULL)
        fb_window_report_gerror (self, error);
      else
        fb_window_show_message (self, GTK_MESSAGE_INFO,
                                _("No results in this sweep folder yet: run it on the cluster first."), dir);
    }
}

static void
show_folder_dialog (FbWindow *self, const char *title, GtkFileChooserAction action, const char *accept,
                    const char *name, GCallback on_response)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), action, accept,
                                                              _("_Cancel"));

  if (name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", on_response, self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_export_sweep (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  g_autofree char *name = NULL;

  if (self->network == NULL)
    return;
  name = g_strdup_printf ("%s-sweep", fb_network_get_name (self->network));
  show_folder_dialog (self, _("Export Sweep for Cluster"), GTK_FILE_CHOOSER_ACTION_CREATE_FOLDER, _("_Export"),
                      name, G_CALLBACK (on_export_response));
}

static void
action_open_sweep_results (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  show_folder_dialog (user_data, _("Open Cluster Results"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"),
                      NULL, G_CALLBACK (on_open_response));
}

static const GActionEntry cluster_actions[] = {
  { "export-sweep", action_export_sweep, NULL, NULL, NULL, { 0 } },
  { "open-sweep-results", action_open_sweep_results, NULL, NULL, NULL, { 0 } },
};

/* The main menu: the header bar's menu button with a GMenu model. */
static void
find_main_menu (GtkWidget *widget, gpointer user_data)
{
  GMenu **menu = user_data;
  GMenuModel *model;

  if (*menu == NULL && GTK_IS_MENU_BUTTON (widget) &&
      G_IS_MENU (model = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget))))
    *menu = G_MENU (model);
}

void
fb_window_cluster_init (FbWindow *self)
{
  GMenu *menu = NULL;

  g_action_map_add_action_entries (G_ACTION_MAP (self), cluster_actions, G_N_ELEMENTS (cluster_actions), self);
  gtk_container_foreach (GTK_CONTAINER (self->header_bar), find_main_menu, &menu);
  if (menu != NULL)
    {
      g_autoptr(GMenu) section = g_menu_new ();
      g_menu_append (section, _("Export Sweep for Cluster…"), "win.export-sweep");
      g_menu_append (section, _("Open Cluster Results…"), "win.open-sweep-results");
      g_menu_append_section (menu, NULL, G_MENU_MODEL (section));
    }
}
