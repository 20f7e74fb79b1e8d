/* test-onnx.c — the window opens ONNX models (under Xvfb): imported in
 * memory, shown, saved next to the model on request; malformed models give
 * the importer's one-line error in the info bar.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gstdio.h>
#include <string.h>

#include "fb-ui-test-util.h"
#include "fb-file-kind.h"
#include "fb-onnx-import.h"
#include "fb-weights.h"

static FbApplication *app;

typedef FbUiTestFixture Fixture;

static char *
onnx_data_path (const char *name)
{
  const char *root = g_getenv ("FB_SOURCE_ROOT");

  if (root != NULL)
    return g_build_filename (root, "tests", "data", "onnx", name, NULL);
  return g_test_build_filename (G_TEST_DIST, "..", "data", "onnx", name, NULL);
}

/* A copy in the test's folder: saving writes next to the model. */
static char *
copy_model (Fixture *f, const char *name)
{
  g_autofree char *src = onnx_data_path (name);
  g_autofree char *base = g_path_get_basename (name);
  char *dst = g_build_filename (f->tmpdir, base, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (src, &contents, &length, &error);
  g_assert_no_error (error);
  g_file_set_contents (dst, contents, (gssize) length, &error);
  g_assert_no_error (error);
  return dst;
}

static void
test_file_kind (Fixture *f, gconstpointer data)
{
  g_autofree char *kws = onnx_data_path ("kws.onnx");
  g_autofree char *json = onnx_data_path ("malformed/json.onnx");
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (fb_file_kind_detect (kws, &error), ==, FB_FILE_KIND_ONNX);
  g_assert_no_error (error);
  /* JSON inside, but named as a model: the importer is the one to refuse it. */
  g_assert_cmpint (fb_file_kind_detect (json, &error), ==, FB_FILE_KIND_ONNX);
  g_assert_no_error (error);
}

static void
test_open_and_save (Fixture *f, gconstpointer data)
{
  g_autofree char *model = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *weights_path = NULL;
  g_autoptr(FbNetwork) reloaded = NULL;
  g_autoptr(FbWeights) weights = NULL;
  g_autoptr(GError) error = NULL;
  FbNetwork *net;
  const char *msg;

  if (f->window == NULL)
    return;
  model = copy_model (f, "kws.onnx");
  fb_ui_test_open_path (f->window, model);
  net = fb_window_get_network (f->window);
  /* tests/data/onnx/models.json: 11 layers (5 conv, 4 depthwise, the pool,
   * the classifier); PyTorch counted 816,384 MACs. */
  g_assert_cmpstr (fb_network_get_name (net), ==, "kws");
  g_assert_cmpuint (fb_network_get_n_layers (net), ==, 11);
  g_assert_cmpuint (fb_network_get_macs (net), ==, 816384);
  msg = fb_window_get_info_message (f->window);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "kws.onnx imported"));
  g_assert_nonnull (strstr (msg, "kws.json"));
  g_assert_true (gtk_widget_get_visible (f->window->save_converted_button));
  /* Nothing written until asked. */
  saved = g_build_filename (f->tmpdir, "kws.json", NULL);
  g_assert_false (g_file_test (saved, G_FILE_TEST_EXISTS));

  gtk_info_bar_response (fb_window_get_info_bar (f->window), RESPONSE_SAVE_CONVERTED);
  fb_ui_test_spin ();
  g_assert_null (fb_window_get_info_message (f->window));
  g_assert_true (g_file_test (saved, G_FILE_TEST_IS_REGULAR));
  /* The window now shows the saved file, which loads with its weights. */
  net = fb_window_get_network (f->window);
  g_assert_cmpstr (fb_network_get_path (net), ==, saved);
  reloaded = fb_network_load (saved, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (fb_network_get_n_layers (reloaded), ==, 11);
  weights_path = g_build_filename (f->tmpdir, "kws.fbw", NULL);
  weights = fb_weights_load (weights_path, reloaded, &error);
  g_assert_no_error (error);
  g_assert_nonnull (weights);
  g_assert_false (gtk_widget_get_visible (f->window->save_converted_button));

  /* Opened again, the offer says the saved file would be replaced. */
  fb_ui_test_open_path (f->window, model);
  msg = fb_window_get_info_message (f->window);
  g_assert_nonnull (msg);
  g_assert_nonnull (strstr (msg, "kws.json already exists and will be replaced."));
}

static void
test_malformed (Fixture *f, gconstpointer data)
{
  static const char *const cases[] = {
    "malformed/truncated-half.onnx", "malformed/truncated-tail.onnx",
    "malformed/garbage.onnx", "malformed/empty.onnx",
    "malformed/json.onnx", "malformed/grouped-conv.onnx", "malformed/sigmoid.onnx",
  };
  FbNetwork *before;

  if (f->window == NULL)
    return;
  before = fb_window_get_network (f->window);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = onnx_data_path (cases[i]);
      FbOnnxImportOptions options;
      g_autoptr(FbOnnxImport) direct = NULL;
      g_autoptr(GError) error = NULL;
      const char *msg;

      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      fb_onnx_import_options_init (&options);
      direct = fb_onnx_import_load (path, &options, &error);
      g_assert_null (direct);
      g_assert_nonnull (error);
      fb_ui_test_open_path (f->window, path);
      msg = fb_window_get_info_message (f->window);
      g_assert_nonnull (msg);
      /* The importer's line as it is, one line. */
      g_assert_cmpstr (msg, ==, error->message);
      g_assert_null (strchr (msg, '\n'));
      g_assert_false (gtk_widget_get_visible (f->window->save_converted_button));
      /* The network shown before stays. */
      g_assert_true (fb_window_get_network (f->window) == before);
      gtk_info_bar_response (fb_window_get_info_bar (f->window), GTK_RESPONSE_CLOSE);
      fb_ui_test_spin ();
    }
}

int
main (int argc, char **argv)
{
  int status;

  app = fb_ui_test_init (&argc, &argv);
#define ADD(path, fn) g_test_add ("/ui/onnx/" path, Fixture, NULL, fb_ui_test_fixture_setup, fn, fb_ui_test_fixture_teardown)
  ADD ("file-kind", test_file_kind);
  ADD ("open-and-save", test_open_and_save);
  ADD ("malformed", test_malformed);
#undef ADD
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
