/* test-dataset.c — the window's data set (under Xvfb): a small synthetic
 * 32×32×3 10-class .npz (made here) opened as a drop would; the summary
 * shows its one-line summary, the accuracy engine measures on it (its test
 * part is that set's), the choice is remembered for the network; a data
 * set that does not fit the network gives one line in the info bar.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "fb-ui-test-util.h"
#include "fb-app-session.h"
#include "fb-dataset-test-util.h"
#include "fb-onnx-import.h"
#include "fb-plot-view.h"

#define N_TRAIN 60
#define N_TEST 40

static FbApplication *app;
static gboolean have_display;

static gboolean
engine_on_set (FbWindow *window)
{
  FbAccuracyEngine *engine = fb_window_get_accuracy_engine (window);
  FbDataset *test;

  if (engine == NULL)
    return FALSE;
  test = fb_accuracy_engine_get_test_set (engine);
  return test != NULL && fb_dataset_get_n_images (test) == N_TEST;
}

static void
write_npz (const FbTestSet *s, const char *path)
{
  const char *names[4] = { "x_train", "y_train", "x_test", "y_test" };
  GBytes *m[4] = { fb_test_set_x_npy (s, 0, N_TRAIN, FALSE), fb_test_set_y_npy (s, 0, N_TRAIN),
                   fb_test_set_x_npy (s, N_TRAIN, N_TEST, FALSE), fb_test_set_y_npy (s, N_TRAIN, N_TEST) };

  fb_test_write_npz (path, 4, names, m, FALSE);
  for (guint i = 0; i < 4; i++)
    g_bytes_unref (m[i]);
}

static void
test_open_dataset (void)
{
  g_autofree char *dir = NULL, *net_path = NULL, *weights_path = NULL, *npz = NULL, *gray = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(FbTestSet) s = { 0 };
  g_auto(FbTestSet) small = { 0 };
  FbWindow *window;
  const char *msg;
  double accuracy = NAN;
  gint64 deadline;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  dir = g_dir_make_tmp ("fb-dataset-XXXXXX", NULL);
  net_path = g_build_filename (dir, "resnet.json", NULL);
  npz = g_build_filename (dir, "set.npz", NULL);
  gray = g_build_filename (dir, "gray.npz", NULL);
  /* A network with float weights: the ResNet-style test model, imported
   * and saved (tests/data/onnx: 32×32×3 in, 10 classes). */
  {
    FbOnnxImportOptions options;
    g_autoptr(FbOnnxImport) import = NULL;
    g_autofree char *onnx = g_build_filename (g_getenv ("FB_SOURCE_ROOT"), "tests", "data", "onnx",
                                              "resnet.onnx", NULL);

    fb_onnx_import_options_init (&options);
    import = fb_onnx_import_load (onnx, &options, &error);
    g_assert_no_error (error);
    g_assert_true (fb_onnx_import_save (import, net_path, &weights_path, &error));
    g_assert_no_error (error);
  }
  fb_test_set_init (&s, N_TRAIN + N_TEST, 32, 32, 3, 10, FALSE, 5);
  write_npz (&s, npz);
  /* 28×28×1: does not fit a 32×32×3 network. */
  fb_test_set_init (&small, 20, 28, 28, 1, 10, FALSE, 6);
  {
    const char *names[2] = { "x", "y" };
    GBytes *m[2] = { fb_test_set_x_npy (&small, 0, 20, FALSE), fb_test_set_y_npy (&small, 0, 20) };
    fb_test_write_npz (gray, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
  }

  fb_window_set_accuracy_defaults (TRUE, N_TEST, NULL);
  window = fb_window_new (app);
  gtk_widget_show (GTK_WIDGET (window));
  fb_ui_test_spin ();
  {
    g_autoptr(GFile) file = g_file_new_for_path (net_path);
    fb_window_open_file (window, file);
  }
  fb_ui_test_spin ();
  g_assert_cmpstr (fb_network_get_name (fb_window_get_network (window)), ==, "resnet");

  /* As a drop: the kind comes from the name. */
  {
    g_autoptr(GFile) file = g_file_new_for_path (npz);
    fb_window_open_file (window, file);
  }
  fb_ui_test_spin ();
  msg = fb_window_get_info_message (window);
  g_assert_nonnull (msg);
  g_test_message ("info: %s", msg);
  g_assert_nonnull (strstr (msg, "set.npz"));
  g_assert_nonnull (strstr (msg, "60 training + 40 test examples"));
  g_assert_nonnull (strstr (msg, "10 classes"));
  g_assert_cmpstr (window->dataset_path, ==, npz);
  {
    g_autofree char *note = g_strdup (gtk_label_get_text (window->note_labels[FB_PLOT_METRIC_ACCURACY]));
    g_assert_nonnull (strstr (note, "set.npz"));
  }
  /* The engine loads on the set and measures w8a8 on its 40 test images. */
  deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
  while (!engine_on_set (window) && g_get_monotonic_time () < deadline)
    fb_ui_test_spin ();
  g_assert_true (engine_on_set (window));
  {
    g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new (fb_window_get_network (window));
    FbAccuracyEngine *engine = fb_window_get_accuracy_engine (window);

    while (!fb_accuracy_engine_lookup (engine, w8a8, N_TEST, &accuracy) && g_get_monotonic_time () < deadline)
      fb_ui_test_spin ();
    g_assert_true (fb_accuracy_engine_lookup (engine, w8a8, N_TEST, &accuracy));
    g_assert_cmpfloat (accuracy, >=, 0);
    g_assert_cmpfloat (accuracy, <=, 1);
  }
  /* Remembered for the network. */
  {
    g_autoptr(GVariant) dict = g_settings_get_value (fb_application_get_settings (app), "network-datasets");
    const char *remembered = NULL;

    g_assert_true (g_variant_lookup (dict, "resnet", "&s", &remembered));
    g_assert_cmpstr (remembered, ==, npz);
  }

  /* A set that does not fit: one line naming the file; the old set stays. */
  gtk_info_bar_response (fb_window_get_info_bar (window), GTK_RESPONSE_CLOSE);
  g_assert_false (fb_window_open_dataset (window, gray, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "gray.npz"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  {
    g_autoptr(GFile) file = g_file_new_for_path (gray);
    fb_window_open_file (window, file);
  }
  fb_ui_test_spin ();
  msg = fb_window_get_info_message (window);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "gray.npz"));
  g_assert_cmpstr (window->dataset_path, ==, npz);

  /* What the dialog's choices do: one NCHW set, its last fifth the test
   * part. Forced NHWC it does not fit; NCHW it does, and both options are
   * remembered with the set. */
  {
    g_autofree char *one = g_build_filename (dir, "one.npz", NULL);
    const char *names[2] = { "x", "y" };
    GBytes *m[2] = { fb_test_set_x_npy (&s, 0, N_TRAIN + N_TEST, TRUE), fb_test_set_y_npy (&s, 0, N_TRAIN + N_TEST) };
    g_autoptr(GVariant) dict = NULL;
    const char *options = NULL;

    fb_test_write_npz (one, 2, names, m, FALSE);
    g_bytes_unref (m[0]);
    g_bytes_unref (m[1]);
    g_assert_false (fb_window_open_dataset_with (window, one, FB_DATASET_LAYOUT_NHWC, 0.2, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "one.npz"));
    g_clear_error (&error);
    g_assert_cmpstr (window->dataset_path, ==, npz);
    g_assert_true (fb_window_open_dataset_with (window, one, FB_DATASET_LAYOUT_NCHW, 0.2, &error));
    g_assert_no_error (error);
    g_test_message ("one set: %s", window->dataset_summary);
    g_assert_nonnull (strstr (window->dataset_summary, "80 training + 20 test examples"));
    dict = g_settings_get_value (fb_application_get_settings (app), "network-dataset-options");
    g_assert_true (g_variant_lookup (dict, "resnet", "&s", &options));
    g_assert_cmpstr (options, ==, "nchw:0.2");
    /* The engine is made on the 20 test examples. */
    deadline = g_get_monotonic_time () + 120 * G_TIME_SPAN_SECOND;
    while (g_get_monotonic_time () < deadline &&
           (fb_window_get_accuracy_engine (window) == NULL ||
            fb_dataset_get_n_images (fb_accuracy_engine_get_test_set (fb_window_get_accuracy_engine (window))) != 20))
      fb_ui_test_spin ();
    g_assert_nonnull (fb_window_get_accuracy_engine (window));
    g_assert_cmpuint (fb_dataset_get_n_images (fb_accuracy_engine_get_test_set (fb_window_get_accuracy_engine (window))),
                      ==, 20);
    /* "All test images" are the set's, not Fashion-MNIST's 10 000. */
    fb_window_update_summary (window);
    {
      g_autofree char *tip = gtk_widget_get_tooltip_text (window->full_test_check);
      g_assert_nonnull (strstr (tip, "(20 images)"));
    }
    /* Opened again with the network: same set, same options. */
    fb_window_restore_dataset (window);
    g_assert_cmpstr (window->dataset_path, ==, one);
    g_assert_cmpint (window->dataset_layout, ==, FB_DATASET_LAYOUT_NCHW);
    g_assert_cmpfloat (window->dataset_val_split, ==, 0.2);
    g_unlink (one);
  }

  /* A classifier's accuracy axis says top-1; the ResNet's residual branches
   * end in signed tensors, which the layer table says. */
  g_assert_cmpstr (fb_plot_view_get_accuracy_title (fb_pareto_plot_get_view (fb_window_get_plot (window))), ==,
                   "Top-1 accuracy, %");
  {
    FbLayerTable *table = fb_window_get_layer_table (window);
    FbNetwork *net = fb_window_get_network (window);
    GtkTreeModel *model = gtk_tree_view_get_model (GTK_TREE_VIEW (table));
    guint n_signed = 0;

    for (guint r = 0; r < fb_layer_table_get_n_rows (table); r++)
      {
        guint layer = fb_layer_table_get_row_layer (table, r);
        const FbLayer *l = fb_network_get_layer (net, layer);
        GtkTreeIter iter;
        g_autofree char *text = NULL;

        g_assert_true (gtk_tree_model_iter_nth_child (model, &iter, NULL, (int) r));
        gtk_tree_model_get (model, &iter, FB_LAYER_TABLE_COLUMN_A_BITS, &text, -1);
        if (fb_network_get_tensor (net, l->output)->kind != FB_TENSOR_ACTIVATION)
          continue;
        g_assert_cmpint (strstr (text, "signed") != NULL, ==, fb_network_tensor_is_signed (net, l->output));
        n_signed += fb_network_tensor_is_signed (net, l->output);
      }
    g_assert_cmpuint (n_signed, >, 0);
  }

  gtk_widget_destroy (GTK_WIDGET (window));
  fb_ui_test_spin ();
  fb_window_set_accuracy_defaults (FALSE, 0, NULL);
  g_unlink (net_path);
  g_unlink (weights_path);
  g_unlink (npz);
  g_unlink (gray);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  int status;

  app = fb_ui_test_init (&argc, &argv);
  have_display = app != NULL;
  g_test_add_func ("/ui/dataset/open-dataset", test_open_dataset);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
