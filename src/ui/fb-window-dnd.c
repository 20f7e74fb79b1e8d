/* fb-window-dnd.c — opening files in the window: command line, recent files, drag and drop.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "fb-accuracy-engine.h"
#include "fb-application.h"
#include "fb-bundle-job.h"
#include "fb-compare-panel.h"
#include "fb-error.h"
#include "fb-export-dialog.h"
#include "fb-file-kind.h"
#include "fb-exporter.h"
#include "fb-json.h"
#include "fb-app-session.h"
#include "fb-metrics.h"
#include "fb-onnx-import.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-point-set.h"
#include "fb-search-panel.h"
#include "fb-ui-format.h"
#include "fb-ui-resources.h"
#include "fb-window-private.h"

void
fb_window_add_recent (GFile *file)
{
  g_autofree char *uri = g_file_get_uri (file);
  GtkRecentData data = {
    .display_name = NULL,
    .description = NULL,
    .mime_type = (char *) "application/json",
    .app_name = (char *) g_get_application_name (),
    .app_exec = (char *) "freebits %u",
  };

  gtk_recent_manager_add_full (gtk_recent_manager_get_default (), uri, &data);
}

gboolean
fb_window_open_network (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbNetwork) net = fb_network_load (path, error);

  if (net == NULL)
    return FALSE;
  /* A network from a file: nothing left to convert. */
  g_clear_pointer (&self->onnx_import, fb_onnx_import_free);
  g_clear_pointer (&self->onnx_path, g_free);
  fb_window_set_network (self, net);
  return TRUE;
}

/* Where the converted network goes: next to the model, MODEL.json. */
static char *
converted_path (const char *onnx_path)
{
  g_autofree char *dir = g_path_get_dirname (onnx_path);
  g_autofree char *base = g_path_get_basename (onnx_path);
  char *dot = strrchr (base, '.');
  g_autofree char *file = NULL;

  if (dot != NULL && dot != base)
    *dot = '\0';
  file = g_strconcat (base, ".json", NULL);
  return g_build_filename (dir, file, NULL);
}

gboolean
fb_window_open_onnx (FbWindow *self, const char *path, GError **error)
{
  FbOnnxImportOptions options;
  g_autoptr(FbOnnxImport) import = NULL;
  g_autofree char *target = converted_path (path);
  g_autofree char *target_base = g_path_get_basename (target);
  g_autofree char *source_base = NULL;
  g_autofree char *msg = NULL;
  const char * const *notes;

  fb_onnx_import_options_init (&options);
  import = fb_onnx_import_load (path, &options, error);
  if (import == NULL)
    return FALSE;
  fb_window_set_network (self, fb_onnx_import_get_network (import));
  /* Kept until saved: its float weights exist only in memory. */
  g_clear_pointer (&self->onnx_import, fb_onnx_import_free);
  g_free (self->onnx_path);
  self->onnx_import = g_steal_pointer (&import);
  self->onnx_path = g_strdup (path);

  source_base = g_path_get_basename (path);
  msg = g_strdup_printf (_("%s imported (%u layers, float weights in memory). Save the converted network "
                           "as %s to measure its accuracy and to use it with freebits-cli."),
                         source_base, fb_network_get_n_layers (self->network), target_base);
  /* Saving replaces an earlier conversion; say so before the click. */
  if (g_file_test (target, G_FILE_TEST_EXISTS))
    {
      g_autofree char *warn = g_strdup_printf (_("%s already exists and will be replaced."), target_base);
      char *more = g_strconcat (msg, " ", warn, NULL);
      g_free (msg);
      msg = more;
    }
  /* The importer's remarks (e.g. an inexact mean/std folding), one line each. */
  notes = fb_onnx_import_get_notes (self->onnx_import);
  for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
    {
      char *more = g_strconcat (msg, "\n", notes[i], NULL);
      g_free (msg);
      msg = more;
    }
  fb_window_show_message (self, GTK_MESSAGE_INFO, msg, NULL);
  gtk_widget_show (self->save_converted_button);
  return TRUE;
}

/* The session's check and summary of @path for the shown network. */
static char *
dataset_summary (FbWindow *self, const char *path, int layout, double val_split, GError **error)
{
  g_autoptr(FbAppSession) session = fb_app_session_new (self->network);
  FbAppDatasetSummary summary = { 0 };

  fb_app_session_set_dataset_path (session, path);
  fb_app_session_set_dataset_options (session, layout, val_split);
  if (!fb_app_session_open_dataset (session, &summary, error))
    return NULL;
  return fb_app_dataset_summary_to_string (&summary);
}

static const char *const layout_names[] = { "auto", "nhwc", "nchw" };

/* "nchw:0.2" from the settings, for the shown network. */
static void
restore_dataset_options (FbWindow *self)
{
  g_autoptr(GVariant) dict = g_settings_get_value (self->settings, "network-dataset-options");
  const char *value = NULL;
  g_auto(GStrv) parts = NULL;

  if (!g_variant_lookup (dict, fb_network_get_name (self->network), "&s", &value))
    return;
  parts = g_strsplit (value, ":", 2);
  for (guint i = 0; i < G_N_ELEMENTS (layout_names); i++)
    if (g_strcmp0 (parts[0], layout_names[i]) == 0)
      self->dataset_layout = (int) i;
  if (parts[0] != NULL && parts[1] != NULL)
    {
      double split = g_ascii_strtod (parts[1], NULL);
      if (split > 0 && split < 1)
        self->dataset_val_split = split;
    }
}

/* Sets @key's entry for the shown network in an a{ss} settings dict. */
static void
set_network_entry (FbWindow *self, const char *key, const char *value)
{
  g_autoptr(GVariant) old = g_settings_get_value (self->settings, key);
  const char *name = fb_network_get_name (self->network);
  GVariantBuilder b;
  GVariantIter iter;
  const char *k, *v;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  g_variant_iter_init (&iter, old);
  while (g_variant_iter_next (&iter, "{&s&s}", &k, &v))
    if (g_strcmp0 (k, name) != 0)
      g_variant_builder_add (&b, "{ss}", k, v);
  g_variant_builder_add (&b, "{ss}", name, value);
  g_settings_set_value (self->settings, key, g_variant_builder_end (&b));
}

void
fb_window_restore_dataset (FbWindow *self)
{
  g_autoptr(GVariant) dict = NULL;
  const char *path = NULL;

  g_clear_pointer (&self->dataset_path, g_free);
  g_clear_pointer (&self->dataset_summary, g_free);
  self->dataset_layout = FB_DATASET_LAYOUT_AUTO;
  self->dataset_val_split = 0;
  if (self->settings == NULL || self->network == NULL)
    return;
  dict = g_settings_get_value (self->settings, "network-datasets");
  if (!g_variant_lookup (dict, fb_network_get_name (self->network), "&s", &path))
    return;
  restore_dataset_options (self);
  /* Gone or changed since: Fashion-MNIST, quietly, as before it was chosen. */
  self->dataset_summary = dataset_summary (self, path, self->dataset_layout, self->dataset_val_split, NULL);
  if (self->dataset_summary != NULL)
    self->dataset_path = g_strdup (path);
}

gboolean
fb_window_open_dataset (FbWindow *self, const char *path, GError **error)
{
  return fb_window_open_dataset_with (self, path, FB_DATASET_LAYOUT_AUTO, 0, error);
}

gboolean
fb_window_open_dataset_with (FbWindow *self, const char *path, int layout, double val_split, GError **error)
{
  g_autofree char *line = NULL;
  g_autofree char *msg = NULL;

  g_return_val_if_fail (self->network != NULL, FALSE);
  g_return_val_if_fail (layout >= 0 && layout < (int) G_N_ELEMENTS (layout_names), FALSE);
  /* Checked here, on the main thread, so a bad set is one line at once. */
  line = dataset_summary (self, path, layout, val_split, error);
  if (line == NULL)
    return FALSE;
  g_free (self->dataset_path);
  self->dataset_path = g_strdup (path);
  g_free (self->dataset_summary);
  self->dataset_summary = g_strdup (line);
  self->dataset_layout = layout;
  self->dataset_val_split = val_split;
  if (self->settings != NULL)
    {
      char split[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *options = g_strdup_printf ("%s:%s", layout_names[layout],
                                                  g_ascii_formatd (split, sizeof split, "%g", val_split));

      set_network_entry (self, "network-datasets", path);
      set_network_entry (self, "network-dataset-options", options);
    }
  /* Every accuracy measured so far was on the other data. */
  fb_window_set_engine (self, NULL);
  fb_window_load_engine (self);
  msg = g_strdup_printf (_("Data set: %s"), line);
  fb_window_show_message (self, GTK_MESSAGE_INFO, msg, NULL);
  fb_window_update_summary (self);
  return TRUE;
}

gboolean
fb_window_save_converted (FbWindow *self, GError **error)
{
  g_autofree char *target = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *msg = NULL;

  if (self->onnx_import == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("No imported model to save"));
      return FALSE;
    }
  target = converted_path (self->onnx_path);
  if (!fb_onnx_import_save (self->onnx_import, target, &weights, error))
    return FALSE;
  /* The saved network names its weights file: opened from disk, the
   * accuracy engine finds and calibrates on the float weights. */
  if (!fb_window_open_network (self, target, error))
    return FALSE;
  {
    g_autoptr(GFile) file = g_file_new_for_path (target);
    fb_window_add_recent (file);
  }
  gtk_info_bar_response (self->info_bar, GTK_RESPONSE_CLOSE);
  dir = g_path_get_dirname (target);
  base = g_path_get_basename (target);
  msg = g_strdup_printf (_("Saved %s"), base);
  fb_window_show_toast (self, msg, dir);
  return TRUE;
}

static gboolean
open_latency (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbLatencyTable) table = fb_latency_table_load (path, error);

  if (table == NULL)
    return FALSE;
  if (!fb_latency_table_check_network (table, self->network, error))
    {
      fb_error_prefix_file (error, path);
      return FALSE;
    }
  /* The next table is looked for where this one was. */
  g_free (self->latency_folder);
  self->latency_folder = g_path_get_dirname (path);
  /* Another target to switch to; the one just opened becomes current. */
  fb_window_add_target (self, table);
  fb_window_select_target (self, fb_latency_table_get_target (table));
  return TRUE;
}

/* A freebits-candidates/1 file becomes one series, named after the file. */
static gboolean
open_candidates (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbCandidateList) list = NULL;
  g_autofree char *base = g_path_get_basename (path);
  ResultGroup *group;

  list = fb_candidate_list_load (self->network, path, error);
  if (list == NULL)
    {
      /* Say which file, whatever the loader's message says. */
      fb_error_prefix_file (error, path);
      return FALSE;
    }
  /* Opening the same file again replaces its series. */
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *old = g_ptr_array_index (self->groups, g);
      if (old->method < 0 && g_strcmp0 (old->name, base) == 0)
        {
          if (old == self->job_group)
            fb_window_stop_job (self);
          g_ptr_array_remove_index (self->groups, g);
          break;
        }
    }
  group = fb_window_result_group_new (base, -1);
  for (guint i = 0; i < fb_candidate_list_get_length (list); i++)
    /* Shown with the current target's latency, like everything else. */
    g_ptr_array_add (group->candidates, fb_window_evaluate_candidate (self, fb_candidate_list_get (list, i)));
  group->table = self->latency;
  g_ptr_array_add (self->groups, group);
  fb_window_refresh_points (self, TRUE);
  fb_window_update_summary (self);
  fb_window_update_results (self);
  fb_window_queue_results (self);
  return TRUE;
}

static gboolean
open_config (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_load (self->network, path, error);
  g_autofree char *base = NULL;

  if (config == NULL)
    return FALSE;
  base = g_path_get_basename (path);
  fb_window_add_opened_config (self, config, base);
  fb_window_set_config (self, config, base, fb_precision_config_get_provenance (config));
  fb_pareto_plot_select (self->plot, -1);
  return TRUE;
}

void
fb_window_open_files (FbWindow *self, GFile **files, guint n_files)
{
  /* Networks first: tables and configs are read against the network. */
  static const FbFileKind order[] = {
    FB_FILE_KIND_NETWORK, FB_FILE_KIND_ONNX, FB_FILE_KIND_DATASET, FB_FILE_KIND_LATENCY, FB_FILE_KIND_CONFIG, FB_FILE_KIND_CANDIDATES
  };
  g_autofree FbFileKind *kinds = g_new0 (FbFileKind, MAX (n_files, 1));

  g_return_if_fail (FB_IS_WINDOW (self));
  /* An earlier failure is old news once the user opens something again;
   * this open's own failures are listed together. */
  if (gtk_info_bar_get_revealed (self->info_bar) && gtk_info_bar_get_message_type (self->info_bar) == GTK_MESSAGE_ERROR)
    gtk_info_bar_response (self->info_bar, GTK_RESPONSE_CLOSE);
  self->info_batch = TRUE;
  for (guint i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      g_autoptr(GError) error = NULL;

      if (path == NULL)
        {
          g_autofree char *uri = g_file_get_uri (files[i]);
          g_autofree char *msg = g_strdup_printf (_("%s: only local files can be opened"), uri);
          fb_window_report_error (self, msg);
          continue;
        }
      kinds[i] = fb_file_kind_detect (path, &error);
      if (error != NULL)
        {
          kinds[i] = FB_FILE_KIND_UNKNOWN;
          fb_window_report_gerror (self, error);
        }
    }

  for (guint k = 0; k < G_N_ELEMENTS (order); k++)
    for (guint i = 0; i < n_files; i++)
      {
        g_autofree char *path = NULL;
        g_autoptr(GError) error = NULL;
        gboolean ok = FALSE;

        if (kinds[i] != order[k])
          continue;
        path = g_file_get_path (files[i]);
        switch (kinds[i])
          {
          case FB_FILE_KIND_NETWORK: ok = fb_window_open_network (self, path, &error); break;
          case FB_FILE_KIND_ONNX: ok = fb_window_open_onnx (self, path, &error); break;
          case FB_FILE_KIND_DATASET: ok = fb_window_open_dataset (self, path, &error); break;
          case FB_FILE_KIND_LATENCY: ok = open_latency (self, path, &error); break;
          case FB_FILE_KIND_CONFIG:  ok = open_config (self, path, &error); break;
          case FB_FILE_KIND_CANDIDATES: ok = open_candidates (self, path, &error); break;
          case FB_FILE_KIND_UNKNOWN:
          default:
            break;
          }
        if (ok)
          fb_window_add_recent (files[i]);
        else if (error != NULL)
          fb_window_report_gerror (self, error);
      }
  self->info_batch = FALSE;
}

void
fb_window_open_file (FbWindow *self, GFile *file)
{
  fb_window_open_files (self, &file, 1);
}

void
fb_window_on_recent_activated (GtkRecentChooser *chooser, FbWindow *self)
{
  g_autofree char *uri = gtk_recent_chooser_get_current_uri (chooser);
  g_autoptr(GFile) file = NULL;

  if (uri == NULL)
    return;
  file = g_file_new_for_uri (uri);
  fb_window_open_file (self, file);
}

void
fb_window_on_drag_data_received (GtkWidget *widget, GdkDragContext *context, int x, int y,
                       GtkSelectionData *data, guint info, guint time, FbWindow *self)
{
  g_auto(GStrv) uris = gtk_selection_data_get_uris (data);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  if (uris == NULL)
    {
      gtk_drag_finish (context, FALSE, FALSE, time);
      return;
    }
  for (guint i = 0; uris[i] != NULL; i++)
    g_ptr_array_add (files, g_file_new_for_uri (uris[i]));
  fb_window_open_files (self, (GFile **) files->pdata, files->len);
  gtk_drag_finish (context, TRUE, FALSE, time);
}
