/* test-export-onnx.c — issue 14's acceptance over the four kinds of imported model.
 *
 * For the ResNet-style classifier, MobileNetV1 0.25 (96×96×3, 2 classes), the DS-CNN
 * keyword-spotting model (signed 49×10×1 input) and the fully-connected autoencoder (signed
 * 1-D input, values output) of tests/data/onnx (tools/gen-onnx-models.py):
 * `freebits-cli import` writes the network and its float weights; they are calibrated
 * post-training on the model's recorded inputs (fb_int_network_calibrate_with) and lowered
 * to w8a8; the exporter writes the C bundle, whose test images are those inputs in the
 * network's input format; `make host` builds it (-Wall -Wextra -Werror) and its
 * logits_fnv1a must equal freebits' in-process integer evaluation of the same images
 * (fb_int_network_run) bit for bit. Then `make rv32imc` and one image under QEMU, the
 * same check (skipped with a message without the cross toolchain).
 *
 * Needs make; skips visibly without.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include <glib/gstdio.h>

#include "fb-exporter.h"
#include "fb-json.h"
#include "fb-int-network.h"
#include "fb-export-test-util.h"
#include "fb-rv32.h"
#include "fb-onnx-test-util.h"

static JsonNode *models_root;

/* The harness's "images N" and "logits_fnv1a 0x…" lines. */
static void
parse_harness (const char *text, guint *n_images, guint32 *fnv)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean got_n = FALSE, got_fnv = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      unsigned v;
      if (sscanf (lines[i], "images %u", &v) == 1)
        *n_images = v, got_n = TRUE;
      else if (sscanf (lines[i], "logits_fnv1a 0x%x", &v) == 1)
        *fnv = v, got_fnv = TRUE;
    }
  if (!got_n || !got_fnv)
    g_test_message ("harness output:\n%s", text);
  g_assert_true (got_n && got_fnv);
}

typedef struct {
  const float *x;
  gsize        size;
} Inputs;

static void
input_at (gpointer user_data, guint index, float *dst)
{
  const Inputs *in = user_data;
  memcpy (dst, in->x + index * in->size, in->size * sizeof (float));
}

/* `freebits-cli import` of tests/data/onnx/@name.onnx into @dir with the input description
 * models.json records; returns the network path. */
static char *
cli_import (const char *name, JsonObject *meta, const char *dir)
{
  JsonObject *in = json_object_get_object_member (meta, "input");
  g_autofree char *onnx_file = g_strconcat (name, ".onnx", NULL);
  g_autofree char *onnx = fb_test_source_path ("tests", "data", "onnx", onnx_file, NULL);
  g_autofree char *json_file = g_strconcat (name, ".json", NULL);
  char *net_path = g_build_filename (dir, json_file, NULL);
  g_autofree char *scale = g_strdup_printf ("%.9g", json_object_get_double_member_with_default (in, "scale", 1.0 / 255));
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  int st;

  g_ptr_array_add (argv, (gpointer) g_getenv ("FB_CLI"));
  g_ptr_array_add (argv, "import");
  g_ptr_array_add (argv, onnx);
  g_ptr_array_add (argv, "-o");
  g_ptr_array_add (argv, net_path);
  if (json_object_get_boolean_member_with_default (in, "signed", FALSE))
    {
      g_ptr_array_add (argv, "--input-signed");
      g_ptr_array_add (argv, "--input-scale");
      g_ptr_array_add (argv, scale);
    }
  g_ptr_array_add (argv, NULL);
  st = fb_export_test_run (dir, (const char *const *) argv->pdata, &out);
  g_test_message ("import %s: %s", name, out);
  g_assert_cmpint (st, ==, 0);
  return net_path;
}

/* In-process integer evaluation of the bundle's own test images: FNV-1a 32 over the
 * little-endian int32 outputs of the first @n images (CONVENTIONS.md). */
static guint32
in_process_fnv (FbIntNetwork *inet, const guint8 *images, guint n)
{
  FbPlan *plan = fb_int_network_get_plan (inet);
  const FbTensor *in = fb_network_get_input (fb_int_network_get_network (inet));
  gsize image_bytes = (gsize) in->shape.h * in->shape.w * in->shape.c;
  guint k = fb_int_network_get_n_classes (inet);
  g_autofree guint8 *arena = g_malloc0 (fb_plan_get_arena_bytes (plan) + 1);
  g_autofree guint8 *scratch = g_malloc0 (fb_plan_get_scratch_bytes (plan) + 1);
  g_autofree gint32 *out = g_new0 (gint32, k);
  g_autoptr(GError) error = NULL;
  guint32 hash = FB_FNV1A32_INIT;

  for (guint i = 0; i < n; i++)
    {
      g_assert_true (fb_int_network_run (inet, images + image_bytes * i, out, arena, scratch, &error));
      g_assert_no_error (error);
      for (guint c = 0; c < k; c++)
        {
          guint32 u = (guint32) out[c];
          guint8 b[4] = { u & 0xff, (u >> 8) & 0xff, (u >> 16) & 0xff, u >> 24 };
          hash = fb_fnv1a32 (hash, b, 4);
        }
    }
  return hash;
}

/* make rv32imc, one image under QEMU, against the in-process checksum. */
static void
rv32_part (const char *name, FbIntNetwork *inet, const char *dir, const guint8 *images)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbRv32Toolchain) tc = fb_rv32_toolchain_find (&error);
  g_autofree char *make_out = NULL, *qemu_out = NULL, *elf = g_build_filename (dir, "fb_demo.elf", NULL);
  const char *argv[] = { "make", "rv32imc", "RV32_IMAGES=1", NULL };
  guint n = 0;
  guint32 fnv = 0, want;

  if (tc == NULL)
    {
      g_test_message ("%s: rv32imc half skipped: %s", name, error->message);
      return;
    }
  make_out = fb_export_test_run_ok (dir, argv);
  g_assert_true (fb_rv32_run (tc, elf, dir, &qemu_out, NULL, &error));
  g_assert_no_error (error);
  parse_harness (qemu_out, &n, &fnv);
  want = in_process_fnv (inet, images, 1);
  g_test_message ("%s w8a8 rv32imc (QEMU): logits_fnv1a 0x%08x, in process 0x%08x", name, fnv, want);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmphex (fnv, ==, want);
}

static void
test_kind (gconstpointer data)
{
  const char *name = data;
  JsonObject *meta = fb_onnx_test_model_meta (models_root, name);
  JsonArray *shape = json_object_get_array_member (meta, "input_shape");
  guint n = json_object_get_int_member (meta, "n");
  g_autofree char *tmp = NULL, *net_path = NULL, *weights_path = NULL, *dir = NULL;
  g_autofree char *in_file = g_strconcat (name, "-inputs.bin", NULL);
  g_autofree char *make_out = NULL, *run_out = NULL, *ip = NULL, *lp = NULL;
  g_autofree float *x = NULL;
  g_autofree guint8 *images = NULL, *labels = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) imported = NULL, calibrated = NULL;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autoptr(FbExporter) ex = NULL;
  g_autofree char *make = g_find_program_in_path ("make");
  gsize size = 1, image_bytes;
  guint n_run = 0;
  guint32 fnv = 0, want;
  Inputs in;

  if (make == NULL)
    {
      g_test_skip ("make is not installed");
      return;
    }
  for (guint d = 0; d < json_array_get_length (shape); d++)
    size *= json_array_get_int_element (shape, d);
  tmp = fb_test_tmpdir_new ();

  /* import through the CLI, then the files it wrote */
  net_path = cli_import (name, meta, tmp);
  net = fb_network_load (net_path, &error);
  g_assert_no_error (error);
  weights_path = g_strdup (fb_network_get_weights_path (net));
  g_assert_nonnull (weights_path);
  imported = fb_weights_load (weights_path, net, &error);
  g_assert_no_error (error);

  /* calibrated on the recorded inputs, lowered to w8a8 */
  x = fb_onnx_test_read_floats (in_file, n * size);
  in = (Inputs) { x, size };
  calibrated = fb_int_network_calibrate_with (net, imported, weights_path, input_at, &in, n, NULL, &error);
  g_assert_no_error (error);
  config = fb_precision_config_new_from_spec (net, "w8a8", &error);
  g_assert_no_error (error);
  inet = fb_int_network_new (config, calibrated, "calibrated", FB_KERNEL_ARCH_HOST, &error);
  g_assert_no_error (error);

  /* the bundle, and the recorded inputs as its test images in the network's input format */
  dir = g_build_filename (tmp, "bundle", NULL);
  ex = fb_exporter_new (inet);
  fb_exporter_set_config_label (ex, "w8a8");
  fb_exporter_set_weights_origin (ex, weights_path);
  g_assert_true (fb_exporter_write (ex, dir, FALSE, NULL, &error));
  g_assert_no_error (error);
  image_bytes = size;
  images = g_malloc0 (image_bytes * n);
  labels = g_malloc0 (n);   /* the checksum is the check; 0 is every kind's valid label */
  for (guint i = 0; i < n; i++)
    fb_int_network_quantize_input (inet, x + i * size, images + i * image_bytes);
  ip = g_build_filename (dir, "test_images.bin", NULL);
  lp = g_build_filename (dir, "test_labels.bin", NULL);
  g_assert_true (g_file_set_contents (ip, (const char *) images, (gssize) (image_bytes * n), NULL));
  g_assert_true (g_file_set_contents (lp, (const char *) labels, (gssize) n, NULL));

  {
    const char *argv[] = { "make", "host", "CFLAGS=-O2", NULL };
    make_out = fb_export_test_run_ok (dir, argv);
  }
  {
    const char *argv[] = { "./fb_demo", "test_images.bin", "test_labels.bin", NULL };
    run_out = fb_export_test_run_ok (dir, argv);
  }
  parse_harness (run_out, &n_run, &fnv);
  want = in_process_fnv (inet, images, n);
  g_test_message ("%s w8a8 host: %u images, logits_fnv1a 0x%08x, in process 0x%08x", name, n_run, fnv, want);
  g_assert_cmpuint (n_run, ==, n);
  g_assert_cmphex (fnv, ==, want);

  rv32_part (name, inet, dir, images);
  fb_test_remove_tree (tmp);
}

int
main (int argc, char **argv)
{
  static const char *kinds[] = { "resnet", "mbv1", "kws", "autoencoder" };

  g_test_init (&argc, &argv, NULL);
  models_root = fb_onnx_test_load_models ();
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      g_autofree char *path = g_strdup_printf ("/export/onnx/%s", kinds[i]);
      g_test_add_data_func (path, kinds[i], test_kind);
    }
  return g_test_run ();
}
