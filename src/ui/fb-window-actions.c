/* fb-window-actions.c — the window's win.* actions (open, save, export, search).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "fb-accuracy-engine.h"
#include "fb-application.h"
#include "fb-bundle-job.h"
#include "fb-compare-panel.h"
#include "fb-error.h"
#include "fb-export-dialog.h"
#include "fb-file-kind.h"
#include "fb-exporter.h"
#include "fb-json.h"
#include "fb-metrics.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"
#include "fb-point-set.h"
#include "fb-search-panel.h"
#include "fb-ui-format.h"
#include "fb-ui-resources.h"
#include "fb-window-private.h"

/* ---- actions -------------------------------------------------------------- */

static void
add_json_filters (GtkFileChooser *chooser)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("freebits files (*.json)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.JSON");
  gtk_file_chooser_add_filter (chooser, filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (chooser, filter);
}

/* ---- last used folders (GSettings "last-folders": kind → folder) ---------- */

char *
fb_window_get_last_folder (FbWindow *self, const char *kind)
{
  g_autoptr(GVariant) dict = NULL;
  const char *folder = NULL;

  if (self->settings == NULL)
    return NULL;
  dict = g_settings_get_value (self->settings, "last-folders");
  if (!g_variant_lookup (dict, kind, "&s", &folder) || !g_file_test (folder, G_FILE_TEST_IS_DIR))
    return NULL;
  return g_strdup (folder);
}

void
fb_window_remember_folder (FbWindow *self, const char *kind, const char *path)
{
  g_autoptr(GVariant) old = NULL;
  g_autofree char *folder = NULL;
  GVariantBuilder b;
  GVariantIter iter;
  const char *k, *v;

  if (self->settings == NULL || path == NULL)
    return;
  folder = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_strdup (path) : g_path_get_dirname (path);
  old = g_settings_get_value (self->settings, "last-folders");
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  g_variant_iter_init (&iter, old);
  while (g_variant_iter_next (&iter, "{&s&s}", &k, &v))
    if (g_strcmp0 (k, kind) != 0)
      g_variant_builder_add (&b, "{ss}", k, v);
  g_variant_builder_add (&b, "{ss}", kind, folder);
  g_settings_set_value (self->settings, "last-folders", g_variant_builder_end (&b));
}

/* Starts @chooser in the folder last used for @kind, else @fallback (may be NULL). */
static void
start_in_folder (FbWindow *self, GtkFileChooser *chooser, const char *kind, const char *fallback)
{
  g_autofree char *folder = fb_window_get_last_folder (self, kind);

  if (folder != NULL)
    gtk_file_chooser_set_current_folder (chooser, folder);
  else if (fallback != NULL)
    gtk_file_chooser_set_current_folder (chooser, fallback);
  g_object_set_data (G_OBJECT (chooser), "fb-kind", (gpointer) kind);
}

static void
on_open_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GSList) list = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
      for (GSList *l = list; l != NULL; l = l->next)
        g_ptr_array_add (files, l->data);
      if (files->len > 0)
        {
          g_autofree char *path = g_file_get_path (files->pdata[0]);
          fb_window_remember_folder (self, g_object_get_data (G_OBJECT (dialog), "fb-kind"), path);
        }
      fb_window_open_files (self, (GFile **) files->pdata, files->len);
    }
  g_object_unref (dialog);
}

/* ---- data sets ------------------------------------------------------------ */

static const struct { const char *id, *label; } split_choices[] = {
  { "0", N_("No test split (separate test part, or the whole set)") },
  { "0.1", N_("The last tenth is the test part") },
  { "0.2", N_("The last fifth is the test part") },
  { "0.3", N_("The last 30 percent is the test part") },
};

/* The layout and validation-split choices of the data set choosers (GTK
 * shows them under the file list; portals too). */
static void
add_dataset_choices (FbWindow *self, GtkFileChooser *chooser)
{
  static const char *layout_ids[] = { "auto", "nhwc", "nchw" };
  const char *layout_labels[] = { _("Automatic (NHWC, or NCHW when only that fits)"), _("NHWC (channels last)"),
                                  _("NCHW (channels first)") };
  const char *split_ids[G_N_ELEMENTS (split_choices)];
  const char *split_labels[G_N_ELEMENTS (split_choices)];
  char current[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint i = 0; i < G_N_ELEMENTS (split_choices); i++)
    {
      split_ids[i] = split_choices[i].id;
      split_labels[i] = _(split_choices[i].label);
    }
  gtk_file_chooser_add_choice (chooser, "layout", _("Array layout"), (const char **) layout_ids, layout_labels);
  gtk_file_chooser_add_choice (chooser, "split", _("Test part"), split_ids, split_labels);
  /* What the shown network's set is read with now. */
  gtk_file_chooser_set_choice (chooser, "layout",
                               layout_ids[CLAMP (self->dataset_layout, 0, (int) G_N_ELEMENTS (layout_ids) - 1)]);
  g_ascii_formatd (current, sizeof current, "%g", self->dataset_val_split);
  gtk_file_chooser_set_choice (chooser, "split", "0");
  for (guint i = 0; i < G_N_ELEMENTS (split_choices); i++)
    if (g_strcmp0 (split_choices[i].id, current) == 0)
      gtk_file_chooser_set_choice (chooser, "split", current);
}

static void
on_open_dataset_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      GtkFileChooser *chooser = GTK_FILE_CHOOSER (dialog);
      g_autofree char *path = gtk_file_chooser_get_filename (chooser);
      const char *layout = gtk_file_chooser_get_choice (chooser, "layout");
      const char *split = gtk_file_chooser_get_choice (chooser, "split");
      int l = g_strcmp0 (layout, "nhwc") == 0 ? FB_DATASET_LAYOUT_NHWC
              : g_strcmp0 (layout, "nchw") == 0 ? FB_DATASET_LAYOUT_NCHW : FB_DATASET_LAYOUT_AUTO;
      g_autoptr(GError) error = NULL;

      if (path != NULL)
        fb_window_remember_folder (self, "dataset", path);
      if (path != NULL &&
          !fb_window_open_dataset_with (self, path, l, split != NULL ? g_ascii_strtod (split, NULL) : 0, &error))
        fb_window_report_gerror (self, error);
    }
  g_object_unref (dialog);
}

static void
show_dataset_chooser (FbWindow *self, gboolean folder)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (folder ? _("Open Data Set Folder (one sub-folder of images per class)")
                                        : _("Open Data Set (.npz, .npy, IDX, CIFAR .bin)"),
                                 GTK_WINDOW (self),
                                 folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER : GTK_FILE_CHOOSER_ACTION_OPEN,
                                 _("_Open"), _("_Cancel"));
  g_autofree char *fallback = self->dataset_path != NULL ? g_path_get_dirname (self->dataset_path) : NULL;

  add_dataset_choices (self, GTK_FILE_CHOOSER (dialog));
  start_in_folder (self, GTK_FILE_CHOOSER (dialog), "dataset", fallback);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_dataset_response), self);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_open_dataset (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  show_dataset_chooser (user_data, FALSE);
}

static void
action_open_dataset_folder (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  show_dataset_chooser (user_data, TRUE);
}

/* An Open dialog for one or more JSON files: @first (may be NULL) is the default filter, the
 * JSON filters follow; it starts in the folder remembered for @kind, else @fallback. */
static void
show_open_dialog (FbWindow *self, const char *title, GtkFileFilter *first, const char *kind,
                  const char *fallback)
{
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  if (first != NULL)
    gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), first);
  add_json_filters (GTK_FILE_CHOOSER (dialog));
  start_in_folder (self, GTK_FILE_CHOOSER (dialog), kind, fallback);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
action_open (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  /* The default filter: what Open reads, ONNX models included. */
  GtkFileFilter *filter = gtk_file_filter_new ();
  g_autofree char *dir = self->network && fb_network_get_path (self->network)
                         ? g_path_get_dirname (fb_network_get_path (self->network)) : NULL;

  gtk_file_filter_set_name (filter, _("freebits files and ONNX models (*.json, *.onnx)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.JSON");
  gtk_file_filter_add_pattern (filter, "*.onnx");
  gtk_file_filter_add_pattern (filter, "*.ONNX");
  show_open_dialog (self, _("Open Network, Config, Latency Table or Candidates"), filter, "open", dir);
}

/* "Open Another Latency Table…": starts in the tables' folder, showing the
 * loaded network's tables first. */
static void
action_open_latency_table (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  GtkFileFilter *filter = NULL;

  if (self->network != NULL)
    {
      g_autofree char *pattern = g_strdup_printf ("%s-*.json", fb_network_get_name (self->network));
      /* TRANSLATORS: %s is a network's name */
      g_autofree char *name = g_strdup_printf (_("Latency tables of %s"), fb_network_get_name (self->network));

      filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, name);
      gtk_file_filter_add_pattern (filter, pattern);
    }
  show_open_dialog (self, _("Open Latency Table"), filter, "latency", self->latency_folder);
}

gboolean
fb_window_save_config (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_copy (fb_layer_table_get_config (self->layer_table));
  g_autoptr(JsonObject) prov = NULL;
  g_autofree char *name = NULL;
  gboolean baseline;

  /* Say where a config came from, so an exported bundle can be traced. */
  name = fb_window_current_config_name (self, &baseline);
  if (self->config_provenance != NULL)
    prov = json_object_ref (self->config_provenance);
  else
    {
      prov = json_object_new ();
      json_object_set_string_member (prov, "method", baseline ? "uniform" : "manual");
      json_object_set_string_member (prov, "name", name);
      json_object_set_string_member (prov, "tool", "freebits " FB_VERSION);
      if (self->latency != NULL)
        json_object_set_string_member (prov, "target", fb_latency_table_get_target (self->latency));
    }
  fb_precision_config_set_provenance (config, prov);
  if (!fb_precision_config_save (config, path, error))
    return FALSE;
  fb_window_saved (self, path);
  return TRUE;
}

typedef gboolean (*SaveFunc) (FbWindow *self, const char *path, GError **error);

/* What every save dialog does with its answer: save, report or remember. */
static void
finish_save_dialog (FbWindow *self, GtkNativeDialog *dialog, int response, SaveFunc save)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !save (self, path, &error))
        {
          if (error != NULL)
            fb_window_report_gerror (self, error);
        }
      else
        {
          fb_window_add_recent (file);
          fb_window_remember_folder (self, g_object_get_data (G_OBJECT (dialog), "fb-kind"), path);
        }
    }
  g_object_unref (dialog);
}

/* A JSON save dialog proposing @file_name; @on_response finishes it. */
static void
show_save_dialog (FbWindow *self, const char *title, const char *kind, const char *file_name,
                  GCallback on_response)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (dialog), TRUE);
  add_json_filters (GTK_FILE_CHOOSER (dialog));
  start_in_folder (self, GTK_FILE_CHOOSER (dialog), kind, NULL);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  g_signal_connect (dialog, "response", on_response, self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_save_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  finish_save_dialog (self, dialog, response, fb_window_save_config);
}

/* A file or folder name from a config's name ("Pareto DP #3 (edited)" →
 * "Pareto-DP-3-edited"): letters, digits, '.', '_' and '+' kept, every run
 * of anything else (spaces, '#', brackets, slashes) one '-'. Takes @name. */
char *
fb_window_file_stem (char *name)
{
  char *out = name;
  gboolean dash = FALSE;

  for (const char *in = name; *in != '\0'; in++)
    {
      if (g_ascii_isalnum (*in) || *in == '.' || *in == '_' || *in == '+' || (guchar) *in >= 0x80)
        {
          if (dash && out != name)
            *out++ = '-';
          *out++ = *in;
          dash = FALSE;
        }
      else
        dash = TRUE;
    }
  *out = '\0';
  if (name[0] == '\0')
    {
      g_free (name);
      return g_strdup ("config");
    }
  return name;
}

static void
action_save_config (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  g_autofree char *name = NULL;
  g_autofree char *file_name = NULL;
  gboolean baseline;

  if (fb_layer_table_get_config (self->layer_table) == NULL)
    return;
  name = fb_window_file_stem (fb_window_current_config_name (self, &baseline));
  file_name = g_strdup_printf ("%s-%s.json", fb_network_get_name (self->network), name);
  show_save_dialog (self, _("Save Precision Config"), "config", file_name, G_CALLBACK (on_save_response));
}

/* The plot of the page shown: Export Plot and Fit act on it. */
static FbParetoPlot *
shown_plot (FbWindow *self)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->view_stack), "compare") == 0)
    return fb_compare_panel_get_plot (self->compare_panel);
  return self->plot;
}

static void
on_export_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;
      FbPlotFormat format;

      if (path != NULL && !fb_plot_format_from_path (path, &format))
        {
          /* No known extension: take the chosen filter's and add it. */
          GtkFileFilter *filter = gtk_file_chooser_get_filter (GTK_FILE_CHOOSER (dialog));
          const char *ext = g_object_get_data (G_OBJECT (filter), "fb-ext");
          char *with_ext = g_strconcat (path, ext ? ext : ".png", NULL);
          g_free (path);
          path = with_ext;
          fb_plot_format_from_path (path, &format);
        }
      if (path != NULL && !fb_pareto_plot_export (shown_plot (self), path, format, &error))
        fb_window_report_gerror (self, error);
      else if (path != NULL)
        {
          fb_window_remember_folder (self, "plot", path);
          fb_window_saved (self, path);
        }
    }
  g_object_unref (dialog);
}

static void
action_export_plot (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  static const struct { const char *name, *pattern, *ext; } kinds[] = {
    { N_("PNG image (*.png)"), "*.png", ".png" },
    { N_("SVG drawing (*.svg)"), "*.svg", ".svg" },
    { N_("PDF document (*.pdf)"), "*.pdf", ".pdf" },
  };
  FbWindow *self = user_data;
  GtkFileChooserNative *dialog;
  g_autofree char *file_name = NULL;

  dialog = gtk_file_chooser_native_new (_("Export Plot"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (dialog), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _(kinds[i].name));
      gtk_file_filter_add_pattern (filter, kinds[i].pattern);
      g_object_set_data (G_OBJECT (filter), "fb-ext", (gpointer) kinds[i].ext);
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    }
  file_name = g_strdup_printf ("%s-%s-vs-%s.png", fb_network_get_name (self->network),
                               fb_plot_metric_to_nick (fb_pareto_plot_get_y_metric (shown_plot (self))),
                               fb_plot_metric_to_nick (fb_pareto_plot_get_x_metric (shown_plot (self))));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), file_name);
  start_in_folder (self, GTK_FILE_CHOOSER (dialog), "plot", NULL);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- C bundle ------------------------------------------------------------- */

static void
update_export_action (FbWindow *self)
{
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "export-bundle")),
                               self->network != NULL && self->n_exports == 0);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "export-bundle-to")),
                               self->network != NULL && self->n_exports == 0);
}

static void
on_bundle_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(FbWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  double accuracy = NAN;
  g_autofree char *dir = fb_bundle_job_run_finish (result, &accuracy, &error);

  self->n_exports--;
  /* The window closed meanwhile: nobody to tell. */
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  update_export_action (self);
  if (dir == NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Exporting the C bundle failed: %s"), error->message);
      fb_window_report_error (self, msg);
      return;
    }
  {
    g_autofree char *msg = NULL;
    if (!isnan (accuracy))
      {
        g_autofree char *acc = fb_plot_metric_format (FB_PLOT_METRIC_ACCURACY, FB_LATENCY_UNIT_INSTRUCTIONS, accuracy);
        /* TRANSLATORS: %s: folder, then the accuracy of the bundled test images ("91.2 %") */
        msg = g_strdup_printf (_("C bundle written to %s (accuracy on its test images: %s). "
                                 "Build it with \"make host\" there."), dir, acc);
      }
    else
      msg = g_strdup_printf (_("C bundle written to %s. Build it with \"make host\" there."), dir);
    fb_window_show_message (self, GTK_MESSAGE_INFO, msg, dir);
  }
}

void
fb_window_export_bundle (FbWindow *self, const char *dir, guint n_images, gboolean force)
{
  FbPrecisionConfig *config;
  FbBundleJob *job;
  g_autofree char *label = NULL;
  gboolean baseline;

  g_return_if_fail (FB_IS_WINDOW (self));
  config = fb_layer_table_get_config (self->layer_table);
  if (self->network == NULL || config == NULL || self->n_exports > 0)
    return;
  job = fb_bundle_job_new (config, dir);
  label = fb_window_current_config_name (self, &baseline);
  fb_bundle_job_set_label (job, label);
  fb_bundle_job_set_latency_table (job, self->latency);
  fb_bundle_job_set_images (job, n_images);
  fb_bundle_job_set_force (job, force);
  /* The engine's weights are the ones the summary's accuracy was measured
   * with (calibrated when the file had float weights only). */
  if (fb_window_engine_usable (self) && fb_accuracy_engine_get_weights_path (self->engine) != NULL)
    {
      fb_bundle_job_set_weights (job, fb_accuracy_engine_get_weights_path (self->engine),
                                 fb_accuracy_engine_get_weights (self->engine));
      fb_bundle_job_set_datasets (job, fb_accuracy_engine_get_test_set (self->engine),
                                  fb_accuracy_engine_get_train_set (self->engine));
    }
  else
    {
      g_autofree char *path = fb_accuracy_engine_find_weights (self->network, NULL);
      fb_bundle_job_set_weights (job, path, NULL);
    }
  self->n_exports++;
  update_export_action (self);
  fb_bundle_job_run_async (job, self->cancellable, on_bundle_written, g_object_ref (self));
}

static void
on_export_dialog_response (GtkDialog *dialog, int response, FbWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      FbExportDialog *d = FB_EXPORT_DIALOG (dialog);
      g_autofree char *path = fb_export_dialog_get_path (d);

      if (path != NULL)
        fb_window_export_bundle (self, path, fb_export_dialog_get_images (d), fb_export_dialog_get_force (d));
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static void
action_export_bundle (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  FbPrecisionConfig *config = fb_layer_table_get_config (self->layer_table);
  g_autofree char *name = NULL;
  g_autofree char *dir_name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *size = NULL;
  const char *folder;
  FbExportDialog *dialog;
  gboolean baseline;
  double values[FB_PLOT_N_METRICS];

  if (self->network == NULL || config == NULL || !fb_window_compute_values (self, config, values, NULL))
    return;
  name = fb_window_current_config_name (self, &baseline);
  dir_name = fb_window_file_stem (g_strdup_printf ("%s-%s", fb_network_get_name (self->network), name));
  size = fb_plot_metric_format (FB_PLOT_METRIC_SIZE, FB_LATENCY_UNIT_INSTRUCTIONS, values[FB_PLOT_METRIC_SIZE]);
  /* TRANSLATORS: "fmnist-mbv1 at w4a8 (45.2 kB Flash): generated C ..." */
  description = g_strdup_printf (_("%s at %s (%s Flash): generated C that runs exactly the integer network "
                                   "whose accuracy freebits shows, with the kernels it calls."),
                                 fb_network_get_name (self->network), name, size);
  folder = g_get_user_special_dir (G_USER_DIRECTORY_DOCUMENTS);
  if (folder == NULL || !g_file_test (folder, G_FILE_TEST_IS_DIR))
    folder = g_get_home_dir ();
  dialog = fb_export_dialog_new (GTK_WINDOW (self), folder, dir_name, description);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_dialog_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* With the dialog's defaults (1000 test images, no replacing): for
 * scripts and tests, "win.export-bundle-to" with the bundle directory. */
static void
action_export_bundle_to (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  fb_window_export_bundle (user_data, g_variant_get_string (param, NULL), FB_EXPORTER_DEFAULT_IMAGES, FALSE);
}

static void
change_full_test_set (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  FbWindow *self = user_data;

  g_simple_action_set_state (action, value);
  fb_window_request_accuracy (self);
  fb_window_update_summary (self);
}

static void
action_reset_view (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  fb_pareto_plot_reset_view (shown_plot (self));
}

gboolean
fb_window_save_candidates (FbWindow *self, const char *path, GError **error)
{
  g_autoptr(FbCandidateList) list = NULL;

  g_return_val_if_fail (FB_IS_WINDOW (self), FALSE);
  if (self->network == NULL || fb_window_count_results (self) == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, _("%s: nothing to save: run a search or open candidates first"), path);
      return FALSE;
    }
  list = fb_candidate_list_new (self->network);
  for (guint g = 0; g < self->groups->len; g++)
    {
      ResultGroup *group = g_ptr_array_index (self->groups, g);
      for (guint i = 0; i < group->candidates->len; i++)
        fb_candidate_list_add (list, g_ptr_array_index (group->candidates, i));
    }
  if (!fb_candidate_list_save (list, path, error))
    return FALSE;
  fb_window_saved (self, path);
  return TRUE;
}

static void
on_save_candidates_response (GtkNativeDialog *dialog, int response, FbWindow *self)
{
  finish_save_dialog (self, dialog, response, fb_window_save_candidates);
}

static void
action_save_candidates (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;
  g_autofree char *file_name = NULL;

  if (self->network == NULL || fb_window_count_results (self) == 0)
    return;
  file_name = g_strdup_printf ("%s-%s-candidates.json", fb_network_get_name (self->network),
                               self->latency ? fb_latency_table_get_target (self->latency) : "bops");
  show_save_dialog (self, _("Save Candidates"), "candidates", file_name, G_CALLBACK (on_save_candidates_response));
}

static void
action_clear_results (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;

  fb_window_clear_results (self);
  fb_window_refresh_points (self, TRUE);
  fb_window_update_summary (self);
  fb_window_update_results (self);
}

static void
action_run_search (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FbWindow *self = user_data;

  gtk_revealer_set_reveal_child (self->search_revealer, TRUE);
  fb_window_on_search_run (self);
}

static void
action_cancel_search (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  fb_window_on_search_cancel (user_data);
}

static void
action_undo (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  fb_window_undo (user_data);
}

static void
action_redo (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  fb_window_redo (user_data);
}

static const GActionEntry win_actions[] = {
  { "undo", action_undo, NULL, NULL, NULL, { 0 } },
  { "open-latency-table", action_open_latency_table, NULL, NULL, NULL, { 0 } },
  { "redo", action_redo, NULL, NULL, NULL, { 0 } },
  { "open", action_open, NULL, NULL, NULL, { 0 } },
  { "open-dataset", action_open_dataset, NULL, NULL, NULL, { 0 } },
  { "open-dataset-folder", action_open_dataset_folder, NULL, NULL, NULL, { 0 } },
  { "save-config", action_save_config, NULL, NULL, NULL, { 0 } },
  { "save-candidates", action_save_candidates, NULL, NULL, NULL, { 0 } },
  { "export-plot", action_export_plot, NULL, NULL, NULL, { 0 } },
  { "export-bundle", action_export_bundle, NULL, NULL, NULL, { 0 } },
  { "export-bundle-to", action_export_bundle_to, "s", NULL, NULL, { 0 } },
  { "full-test-set", NULL, NULL, "false", change_full_test_set, { 0 } },
  { "reset-view", action_reset_view, NULL, NULL, NULL, { 0 } },
  { "run-search", action_run_search, NULL, NULL, NULL, { 0 } },
  { "cancel-search", action_cancel_search, NULL, NULL, NULL, { 0 } },
  { "clear-results", action_clear_results, NULL, NULL, NULL, { 0 } },
};


void
fb_window_actions_init (FbWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "undo")), FALSE);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (self), "redo")), FALSE);
}
