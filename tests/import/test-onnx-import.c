/* test-onnx-import.c — ONNX import against PyTorch.
 *
 * tests/data/onnx holds models exported by torch.onnx.export with PyTorch's
 * float outputs on a few inputs and its MAC and parameter counts
 * (tools/gen-onnx-models.py made them; these tests need no PyTorch). An
 * imported network must count the same MACs and parameters and its float
 * forward (fb-trainer) must reproduce PyTorch's outputs; every malformed
 * file must give one line on stderr, exit status 2 and no file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-error.h"
#include "fb-int-network.h"
#include "fb-kernels.h"
#include "fb-json.h"
#include "fb-onnx-import.h"
#include "fb-onnx-test-util.h"
#include "fb-precision-config.h"
#include "fb-trainer.h"

/* PyTorch and freebits sum in different orders (OpenBLAS GEMMs, folded
 * batch norm): per image, the largest difference relative to the largest
 * output must stay below this. */
#define REL_TOL 1e-4

typedef struct {
  const char *name;
  JsonObject *meta;
} Model;

static JsonNode *models_root;

static void
options_from_meta (JsonObject *meta, FbOnnxImportOptions *o)
{
  JsonObject *in = json_object_get_object_member (meta, "input");

  fb_onnx_import_options_init (o);
  o->input_signed = json_object_get_boolean_member_with_default (in, "signed", FALSE);
  o->input_scale = json_object_get_double_member_with_default (in, "scale", 0.0);
  o->input_zero_point = json_object_get_int_member_with_default (in, "zero_point", 0);
}

static FbOnnxImport *
import_model (const char *name, const FbOnnxImportOptions *o)
{
  g_autofree char *file = g_strconcat (name, ".onnx", NULL);
  g_autofree char *path = fb_test_source_path ("tests", "data", "onnx", file, NULL);
  g_autoptr(GError) error = NULL;
  FbOnnxImport *imp = fb_onnx_import_load (path, o, &error);

  g_assert_no_error (error);
  g_assert_nonnull (imp);
  return imp;
}

/* The float forward of the imported network on the recorded inputs (input
 * @shift·@mul applied first: x' = x·mul + shift per channel). */
static float *
forward (FbOnnxImport *imp, JsonObject *meta, const float *x)
{
  FbNetwork *net = fb_onnx_import_get_network (imp);
  guint n = json_object_get_int_member (meta, "n");
  FbTrainOptions opt;
  g_autoptr(GError) error = NULL;
  FbTrainer *tr;
  float *out;
  guint k = fb_network_get_logits (net)->shape.c;

  fb_train_options_init (&opt);
  opt.batch_size = n;
  opt.shards = 1;
  opt.quant = FB_TRAIN_FLOAT;
  tr = fb_trainer_new (net, &opt, fb_onnx_import_get_weights (imp), "imported", &error);
  g_assert_no_error (error);
  out = g_memdup2 (fb_trainer_forward_eval (tr, x, n), (gsize) n * k * sizeof (float));
  fb_trainer_free (tr);
  return out;
}

/* Largest |a − b| / max|b| over the images; log-softmax first when PyTorch's
 * output went through the (removed) final softmax. */
static double
compare (const float *got, const float *want, guint n, guint k, gboolean log_softmax)
{
  double worst = 0.0;

  for (guint i = 0; i < n; i++)
    {
      const float *g = got + (gsize) i * k, *w = want + (gsize) i * k;
      double scale = 0.0, diff = 0.0, lse = 0.0, gmax = -INFINITY;

      if (log_softmax)
        {
          for (guint j = 0; j < k; j++)
            gmax = MAX (gmax, g[j]);
          for (guint j = 0; j < k; j++)
            lse += exp (g[j] - gmax);
          lse = gmax + log (lse);
        }
      for (guint j = 0; j < k; j++)
        {
          scale = MAX (scale, fabs (w[j]));
          diff = MAX (diff, fabs ((g[j] - lse) - w[j]));
        }
      g_assert_cmpfloat (scale, >, 0.0);
      worst = MAX (worst, diff / scale);
    }
  return worst;
}

static void
test_model (gconstpointer data)
{
  const char *name = data;
  JsonObject *meta = fb_onnx_test_model_meta (models_root, name);
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  FbNetwork *net;
  guint n = json_object_get_int_member (meta, "n"), k = json_object_get_int_member (meta, "outputs");
  JsonArray *shape = json_object_get_array_member (meta, "input_shape");
  gsize in_size = 1;
  g_autofree char *in_file = g_strconcat (name, "-inputs.bin", NULL);
  g_autofree char *out_file = g_strconcat (name, "-outputs.bin", NULL);
  g_autofree float *x = NULL, *want = NULL, *got = NULL;
  double err;

  for (guint d = 0; d < json_array_get_length (shape); d++)
    in_size *= json_array_get_int_element (shape, d);
  options_from_meta (meta, &o);
  imp = import_model (name, &o);
  net = fb_onnx_import_get_network (imp);
  g_assert_cmpuint (fb_network_get_macs (net), ==, json_object_get_int_member (meta, "macs"));
  g_assert_cmpuint (fb_network_get_params (net), ==, json_object_get_int_member (meta, "params"));
  g_assert_cmpuint (fb_network_get_logits (net)->shape.c, ==, k);
  g_assert_cmpuint (fb_network_get_input_signed (net), ==, o.input_signed);

  x = fb_onnx_test_read_floats (in_file, n * in_size);
  want = fb_onnx_test_read_floats (out_file, (gsize) n * k);
  got = forward (imp, meta, x);
  err = compare (got, want, n, k, json_object_get_boolean_member (meta, "softmax_removed"));
  g_test_message ("%s: largest difference to PyTorch %.3g of the largest output", name, err);
  g_assert_cmpfloat (err, <, REL_TOL);
}

/* The ResNet loads as published: the second conv of each block and the
 * shortcut conv have no ReLU (signed outputs), the add has one. */
static void
test_resnet_structure (void)
{
  g_autoptr(FbOnnxImport) imp = import_model ("resnet", NULL);
  FbNetwork *net = fb_onnx_import_get_network (imp);
  guint adds = 0, signed_convs = 0;

  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      if (l->op == FB_OP_ADD)
        {
          adds++;
          g_assert_true (l->relu);
          g_assert_false (fb_network_tensor_is_signed (net, l->output));
          for (guint j = 0; j < 2; j++)
            {
              const FbTensor *t = fb_network_get_tensor (net, l->inputs[j]);
              const FbLayer *p = t->producer >= 0 ? fb_network_get_layer (net, t->producer) : NULL;
              if (p != NULL && p->op == FB_OP_CONV2D && !p->relu)
                {
                  signed_convs++;
                  g_assert_true (fb_network_tensor_is_signed (net, t->index));
                }
            }
        }
    }
  g_assert_cmpuint (adds, ==, 3);
  /* Three blocks' second convs and two shortcut convs. */
  g_assert_cmpuint (signed_convs, ==, 5);
}

/* Kinds of output: the autoencoder's reconstruction is values, the KWS
 * logits are classes; the KWS input is signed with scale 0.25. */
static void
test_output_and_input (void)
{
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) ae = NULL, kws = NULL;

  options_from_meta (fb_onnx_test_model_meta (models_root, "autoencoder"), &o);
  ae = import_model ("autoencoder", &o);
  g_assert_cmpint (fb_network_get_output_kind (fb_onnx_import_get_network (ae)), ==, FB_OUTPUT_VALUES);
  g_assert_cmpuint (fb_network_get_input_rank (fb_onnx_import_get_network (ae)), ==, 1);
  options_from_meta (fb_onnx_test_model_meta (models_root, "kws"), &o);
  kws = import_model ("kws", &o);
  g_assert_cmpint (fb_network_get_output_kind (fb_onnx_import_get_network (kws)), ==, FB_OUTPUT_CLASSES);
  g_assert_true (fb_network_get_input_signed (fb_onnx_import_get_network (kws)));
  g_assert_cmpfloat (fb_network_get_input_scale (fb_onnx_import_get_network (kws)), ==, 0.25);
}

/* --mean/--std fold exactly into a first linear layer: the folded network
 * on raw x' = x·std + mean computes what the model computed on x. */
static void
test_normalization_folded (void)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "autoencoder");
  static const double mean[] = { 0.5 }, std[] = { 2.0 };
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  guint n = json_object_get_int_member (meta, "n"), k = json_object_get_int_member (meta, "outputs");
  g_autofree float *x = fb_onnx_test_read_floats ("autoencoder-inputs.bin", (gsize) n * 640);
  g_autofree float *want = fb_onnx_test_read_floats ("autoencoder-outputs.bin", (gsize) n * k);
  g_autofree float *got = NULL;

  options_from_meta (meta, &o);
  o.n_mean = 1, o.mean = mean, o.n_std = 1, o.std = std;
  imp = import_model ("autoencoder", &o);
  g_assert_null (fb_onnx_import_get_notes (imp)[0]);
  for (gsize i = 0; i < (gsize) n * 640; i++)
    x[i] = x[i] * std[0] + mean[0];
  got = forward (imp, meta, x);
  g_assert_cmpfloat (compare (got, want, n, k, FALSE), <, REL_TOL);
}

/* Folding a mean into a padded first conv is not exact at the border: said,
 * and measured (the folded network on raw x against the unfolded one on
 * the normalized x). */
static void
test_normalization_note (void)
{
  static const double mean[] = { 0.485, 0.456, 0.406 }, std[] = { 0.229, 0.224, 0.225 };
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "resnet");
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) folded = NULL, plain = NULL;
  const char * const *notes;
  guint n = json_object_get_int_member (meta, "n"), k = json_object_get_int_member (meta, "outputs");
  gsize size = 32 * 32 * 3;
  g_autofree float *x = fb_onnx_test_read_floats ("resnet-inputs.bin", n * size);
  g_autofree float *xn = g_new (float, n * size);
  g_autofree float *a = NULL, *b = NULL;

  fb_onnx_import_options_init (&o);
  o.n_mean = 3, o.mean = mean, o.n_std = 3, o.std = std;
  folded = import_model ("resnet", &o);
  notes = fb_onnx_import_get_notes (folded);
  g_assert_nonnull (notes[0]);
  fb_test_assert_mentions (notes[0], "padded");
  plain = import_model ("resnet", NULL);
  for (gsize i = 0; i < n * size; i++)
    xn[i] = (x[i] - mean[i % 3]) / std[i % 3];
  a = forward (folded, meta, x);
  b = forward (plain, meta, xn);
  g_test_message ("resnet, ImageNet mean/std folded into its padded first conv: largest output difference "
                  "%.3g of the largest output", compare (a, b, n, k, FALSE));
}

/* The CLI writes the network and its weights; they load back, and info
 * counts what PyTorch counted. */
static void
test_cli_import (void)
{
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autofree char *model = fb_test_source_path ("tests", "data", "onnx", "kws.onnx", NULL);
  g_autofree char *out = g_build_filename (dir, "kws.json", NULL);
  g_autofree char *wpath = g_build_filename (dir, "kws.fbw", NULL);
  g_auto(FbTestRun) r = { 0 }, info = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = NULL;
  g_autoptr(FbWeights) w = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "kws");

  fb_test_run_cli (&r, (const char *[]) { "import", model, "-o", out, "--input-signed", "--input-scale", "0.25", NULL });
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  net = fb_network_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fb_network_get_weights_path (net), ==, wpath);
  w = fb_weights_load (wpath, net, &error);
  g_assert_no_error (error);
  fb_test_run_cli (&info, (const char *[]) { "info", out, "--json", NULL });
  g_assert_cmpint (info.status, ==, 0);
  root = json_from_string (info.out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "macs"), ==,
                   json_object_get_int_member (meta, "macs"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "params"), ==,
                   json_object_get_int_member (meta, "params"));
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* An output that cannot be written: one line, exit 2, no file left. */
static void
test_cli_unwritable (void)
{
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autofree char *model = fb_test_source_path ("tests", "data", "onnx", "pools.onnx", NULL);
  g_autofree char *out = g_build_filename (dir, "missing-dir", "net.json", NULL);
  g_auto(FbTestRun) r = { 0 }, opt = { 0 };
  const char *nl;

  fb_test_run_cli (&r, (const char *[]) { "import", model, "-o", out, NULL });
  g_assert_cmpint (r.status, ==, 2);
  nl = strchr (r.err, '\n');
  g_assert_nonnull (nl);
  g_assert_cmpstr (nl + 1, ==, "");
  fb_test_assert_mentions (r.err, "missing-dir");
  {
    GDir *d = g_dir_open (dir, 0, NULL);   /* still empty */
    g_assert_nonnull (d);
    g_assert_null (g_dir_read_name (d));
    g_dir_close (d);
  }
  /* A bad option value is an input error too. */
  fb_test_run_cli (&opt, (const char *[]) { "import", model, "-o", out, "--mean", "0.5,x", NULL });
  g_assert_cmpint (opt.status, ==, 2);
  fb_test_assert_mentions (opt.err, "--mean");
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* Every malformed file: one line naming the file, exit 2, nothing written. */
static void
test_malformed (gconstpointer data)
{
  const char *const *c = data;
  g_autofree char *dir = fb_test_tmpdir_new ();
  g_autofree char *model = fb_test_source_path ("tests", "data", "onnx", "malformed", c[0], NULL);
  g_autofree char *out = g_build_filename (dir, "net.json", NULL);
  g_autofree char *wpath = g_build_filename (dir, "net.fbw", NULL);
  g_auto(FbTestRun) r = { 0 };
  const char *nl;

  fb_test_run_cli (&r, (const char *[]) { "import", model, "-o", out, NULL });
  g_test_message ("%s: %s", c[0], r.err);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  nl = strchr (r.err, '\n');
  g_assert_nonnull (nl);
  g_assert_cmpstr (nl + 1, ==, "");
  fb_test_assert_mentions (r.err, c[0]);
  fb_test_assert_mentions (r.err, c[1]);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (wpath, G_FILE_TEST_EXISTS));
  fb_test_tmpdir_free (g_steal_pointer (&dir));
}

/* File, and what its one line must mention. */
static const char *const malformed[][2] = {
  { "empty.onnx", "not an ONNX model" },
  { "garbage.onnx", "not a valid ONNX protobuf" },
  { "json.onnx", "not a valid ONNX protobuf" },
  { "truncated-half.onnx", "truncated" },
  { "truncated-tail.onnx", "truncated" },
  { "grouped-conv.onnx", "re:\\(Conv\\): grouped convolution \\(group 2" },
  { "depth-multiplier.onnx", "grouped convolution (group 4, 4 input and 8 output" },
  { "dilated-conv.onnx", "dilation 2x2" },
  { "sigmoid.onnx", "operator Sigmoid is not supported" },
  { "conv-transpose.onnx", "operator ConvTranspose is not supported" },
  { "concat.onnx", "operator Concat is not supported" },
  { "mul.onnx", "operator Mul is not supported" },
  { "ceil-mode-pool.onnx", "ceil_mode" },
  { "bn-on-input.onnx", "(BatchNormalization): freebits folds BatchNormalization" },
  { "relu-on-input.onnx", "(Relu): freebits folds Relu" },
  { "softmax-middle.onnx", "only a final Softmax" },
  { "dynamic-hw.onnx", "dynamic" },
  { "float64.onnx", "DOUBLE" },
  { "no-linear.onnx", "last layer" },
  { "two-inputs.onnx", "2 inputs" },
  { "missing-initializer.onnx", "\"fc.weight\" is neither an initializer" },
  /* fuzz-onnx: an operator name with newlines (and tabs) came back inside the message */
  { "newline-in-op-type.onnx", "is not supported by freebits" },
  /* fuzz-onnx: a Slice step near INT64_MIN overflowed the folded shape (UBSan, -Dsanitize) */
  { "slice-huge-step.onnx", "should be 8 integers" },
};

static void
test_sanitized_names (void)
{
  g_autoptr(FbOnnxImport) imp = import_model ("resnet", NULL);
  FbNetwork *net = fb_onnx_import_get_network (imp);

  /* PyTorch's scoped node names "/module/path/OpType" become the module path. */
  g_assert_nonnull (fb_network_lookup_layer (net, "fc"));
  g_assert_nonnull (fb_network_lookup_layer (net, "block2/shortcut"));
  g_assert_nonnull (fb_network_lookup_layer (net, "block1/conv2/conv2.0"));
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    g_assert_false (g_str_has_prefix (fb_network_get_layer (net, i)->name, "/"));
}

/* Corrupted models (random bytes overwritten, or cut anywhere): each load
 * either succeeds or fails with a one-line error; never a crash (run the
 * sanitize build to catch memory errors too). */
static void
test_mutations (void)
{
  g_autofree char *path = fb_test_source_path ("tests", "data", "onnx", "pools.onnx", NULL);
  g_autofree char *data = NULL;
  gsize len;
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  guint failed = 0, loaded = 0;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  for (guint round = 0; round < 400; round++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, len);
      gsize n = len;
      g_autoptr(GError) error = NULL;
      g_autoptr(FbOnnxImport) imp = NULL;

      if (round % 2 == 0)
        n = g_rand_int_range (rand, 0, len);
      else
        for (guint k = 0; k < 1 + round % 8; k++)
          copy[g_rand_int_range (rand, 0, len)] = g_rand_int_range (rand, 0, 256);
      imp = fb_onnx_import_load_from_data (copy, n, "mutated.onnx", NULL, &error);
      if (imp == NULL)
        {
          g_assert_nonnull (error);
          g_assert_null (strchr (error->message, '\n'));
          g_assert_true (g_str_has_prefix (error->message, "mutated.onnx: "));
          failed++;
        }
      else
        loaded++;
    }
  g_test_message ("400 mutations: %u refused, %u loaded (bytes that change only values)", failed, loaded);
  g_assert_cmpuint (failed, >, 200);
}

/* The ResNet's signed tensors (second convs, shortcuts) under fake
 * quantization: w8a8 stays close to float, w4a4 further, w2a2 furthest. A
 * signed tensor quantized on an unsigned grid would lose its negative half
 * (the w8a8 error would then be of the order of the outputs). */
static void
test_resnet_quantized (void)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "resnet");
  g_autoptr(FbOnnxImport) imp = import_model ("resnet", NULL);
  FbNetwork *net = fb_onnx_import_get_network (imp);
  guint n = json_object_get_int_member (meta, "n"), k = json_object_get_int_member (meta, "outputs");
  g_autofree float *x = fb_onnx_test_read_floats ("resnet-inputs.bin", (gsize) n * 32 * 32 * 3);
  g_autofree float *fl = NULL;
  static const char *configs[] = { "w8a8", "w4a4", "w2a2" };
  double err[3];
  FbTrainOptions opt;
  g_autoptr(GError) error = NULL;
  FbTrainer *tr;

  fb_train_options_init (&opt);
  opt.batch_size = n;
  opt.shards = 1;
  opt.quant = FB_TRAIN_SUPERNET;
  tr = fb_trainer_new (net, &opt, fb_onnx_import_get_weights (imp), "imported", &error);
  g_assert_no_error (error);
  fl = g_memdup2 (fb_trainer_forward_config (tr, NULL, x, n), (gsize) n * k * sizeof (float));
  fb_trainer_calibrate_act_alpha (tr, x, n);
  for (guint c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      g_autoptr(FbPrecisionConfig) cfg = fb_precision_config_new_from_spec (net, configs[c], &error);
      g_assert_no_error (error);
      err[c] = compare (fb_trainer_forward_config (tr, cfg, x, n), fl, n, k, FALSE);
      g_test_message ("resnet %s (fake-quant): largest difference to float %.3g of the largest output",
                      configs[c], err[c]);
    }
  fb_trainer_free (tr);
  g_assert_cmpfloat (err[0], <, 0.05);
  g_assert_cmpfloat (err[0], <, err[1]);
  g_assert_cmpfloat (err[1], <, err[2]);
}

/* Training through every new op (max pool, average pool with and without
 * count_include_pad, a bounded ReLU, a flatten of a 4×4 map) and through
 * signed tensors (the ResNet's blocks), in float and as a supernet: the
 * imported models learn 8 random labels (the loss falls). These models
 * were exported in eval mode, so every conv's batch norm was folded into a
 * bias that training keeps fixed (test_train_frozen_bias): they train as
 * networks without batch norm, more slowly than with it. */
static void
memorize (const char *name, FbTrainQuant quant, double *first, double *last)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, name);
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  JsonArray *shape = json_object_get_array_member (meta, "input_shape");
  enum { N = 8, STEPS = 40 };
  guint k = json_object_get_int_member (meta, "outputs");
  gsize in_size = 1;
  g_autofree float *x = NULL;
  guint8 labels[N];
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  FbTrainOptions opt;
  g_autoptr(GError) error = NULL;
  FbTrainer *tr;

  options_from_meta (meta, &o);
  imp = import_model (name, &o);
  for (guint d = 0; d < json_array_get_length (shape); d++)
    in_size *= json_array_get_int_element (shape, d);
  x = g_new (float, N * in_size);
  for (gsize i = 0; i < N * in_size; i++)
    x[i] = g_rand_double (rand);
  for (guint i = 0; i < N; i++)
    labels[i] = g_rand_int_range (rand, 0, k);
  fb_train_options_init (&opt);
  opt.batch_size = N;
  opt.shards = 1;
  opt.lr = 0.05;
  opt.quant = quant;
  opt.random_configs = 0;   /* all-8 and all-2 */
  opt.augment = FALSE;
  tr = fb_trainer_new (fb_onnx_import_get_network (imp), &opt, fb_onnx_import_get_weights (imp), "imported", &error);
  g_assert_no_error (error);
  for (guint step = 0; step < STEPS; step++)
    {
      double loss;
      fb_trainer_train_step (tr, x, labels, N, opt.lr, &loss, NULL);
      g_assert_true (isfinite (loss));
      if (step == 0)
        *first = loss;
      *last = loss;
    }
  fb_trainer_free (tr);
  g_test_message ("%s (%s): training loss %.3f -> %.3f in %d steps", name,
                  quant == FB_TRAIN_FLOAT ? "float" : "supernet", *first, *last, STEPS);
}

static void
test_train_memorizes (void)
{
  double first, last;

  /* The pools model has no batch norm: its convs keep their biases as a
   * fixed affine map (the trainer's bn_frozen), and its ReLU6 saturates
   * on most of conv2's outputs (weights scaled ×30), which blocks most
   * gradients: it learns, slowly. */
  memorize ("pools", FB_TRAIN_FLOAT, &first, &last);
  g_assert_cmpfloat (last, <, first);
  memorize ("resnet", FB_TRAIN_FLOAT, &first, &last);
  g_assert_cmpfloat (last, <, 0.8 * first);
  memorize ("resnet", FB_TRAIN_SUPERNET, &first, &last);
  g_assert_cmpfloat (last, <, 0.8 * first);
}

/* A conv imported without BatchNormalization (every conv of the pools
 * model, exported in eval mode: PyTorch folded its batch norm into a bias)
 * stores its bias as γ 1, β 0, μ −b, σ² 1 − ε. Training keeps that affine
 * map fixed — batch statistics would renormalize the layer's output, a
 * different function from the model's — so after training steps those
 * four tensors are the imported ones, bit for bit, while the weights moved. */
static void
test_train_frozen_bias (void)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "pools");
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  g_autoptr(FbWeights) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  enum { N = 8 };
  g_autofree float *x = g_new (float, N * 16 * 16 * 3);
  guint8 labels[N];
  FbTrainOptions opt;
  FbTrainer *tr;
  FbNetwork *net;
  FbWeights *before;
  guint convs = 0;

  options_from_meta (meta, &o);
  imp = import_model ("pools", &o);
  net = fb_onnx_import_get_network (imp);
  before = fb_onnx_import_get_weights (imp);
  for (guint i = 0; i < N * 16 * 16 * 3; i++)
    x[i] = g_rand_double (rand);
  for (guint i = 0; i < N; i++)
    labels[i] = g_rand_int_range (rand, 0, 5);
  fb_train_options_init (&opt);
  opt.batch_size = N;
  opt.shards = 1;
  opt.augment = FALSE;
  tr = fb_trainer_new (net, &opt, before, "imported", &error);
  g_assert_no_error (error);
  for (guint step = 0; step < 5; step++)
    {
      double loss;
      fb_trainer_train_step (tr, x, labels, N, 0.05, &loss, NULL);
    }
  after = fb_trainer_get_weights (tr);
  fb_trainer_free (tr);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      static const char *bn[] = { "bn_gamma", "bn_beta", "bn_mean", "bn_var" };
      const FbWeightsTensor *w0, *w1;
      if (l->op != FB_OP_CONV2D)
        continue;
      convs++;
      for (guint k = 0; k < G_N_ELEMENTS (bn); k++)
        {
          const FbWeightsTensor *t0 = fb_weights_lookup (before, l->name, bn[k]);
          const FbWeightsTensor *t1 = fb_weights_lookup (after, l->name, bn[k]);
          g_assert_nonnull (t0);
          g_assert_nonnull (t1);
          g_assert_cmpmem (t0->data, t0->n * sizeof (float), t1->data, t1->n * sizeof (float));
        }
      w0 = fb_weights_lookup (before, l->name, "weight");
      w1 = fb_weights_lookup (after, l->name, "weight");
      g_assert_true (memcmp (w0->data, w1->data, w0->n * sizeof (float)) != 0);
    }
  g_assert_cmpuint (convs, ==, 3);
}

/* The autoencoder (output_kind values) learns to reconstruct its inputs
 * with the MSE loss. */
static void
test_train_values (void)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "autoencoder");
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  enum { N = 16, D = 640, STEPS = 200 };
  g_autofree float *x = g_new (float, N * D);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  FbTrainOptions opt;
  g_autoptr(GError) error = NULL;
  FbTrainer *tr;
  double first = 0, last = 0;

  options_from_meta (meta, &o);
  imp = import_model ("autoencoder", &o);
  g_assert_cmpint (fb_network_get_output_kind (fb_onnx_import_get_network (imp)), ==, FB_OUTPUT_VALUES);
  {
    /* Inputs on a 3-dimensional subspace: the 8-value bottleneck can hold them. */
    float pattern[3][D];
    for (guint p = 0; p < 3; p++)
      for (guint i = 0; i < D; i++)
        pattern[p][i] = g_rand_double_range (rand, -1, 1);
    for (guint e = 0; e < N; e++)
      {
        double a[3] = { g_rand_double_range (rand, -1, 1), g_rand_double_range (rand, -1, 1),
                        g_rand_double_range (rand, -1, 1) };
        for (guint i = 0; i < D; i++)
          x[e * D + i] = a[0] * pattern[0][i] + a[1] * pattern[1][i] + a[2] * pattern[2][i];
      }
  }
  fb_train_options_init (&opt);
  opt.batch_size = N;
  opt.shards = 2;
  opt.lr = 0.2;
  opt.augment = FALSE;
  tr = fb_trainer_new (fb_onnx_import_get_network (imp), &opt, fb_onnx_import_get_weights (imp), "imported", &error);
  g_assert_no_error (error);
  for (guint step = 0; step < STEPS; step++)
    {
      double loss;
      fb_trainer_train_step_values (tr, x, x, N, opt.lr, &loss);
      g_assert_true (isfinite (loss));
      if (step == 0)
        first = loss;
      last = loss;
    }
  {
    /* The loss reported is the MSE of the outputs before the step. */
    const float *y = fb_trainer_forward_eval (tr, x, N);
    double mse = 0.0;
    for (gsize i = 0; i < N * D; i++)
      mse += (double) (y[i] - x[i]) * (y[i] - x[i]) / (N * D);
    g_test_message ("autoencoder: reconstruction MSE %.4f -> %.4f in %d steps (eval %.4f)", first, last, STEPS, mse);
    g_assert_cmpfloat (mse, <, 0.5 * first);
  }
  fb_trainer_free (tr);
  g_assert_cmpfloat (last, <, 0.5 * first);
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

/* The integer network (src/nn/fb-int-network, the exported C's arithmetic)
 * of an imported model at @spec, calibrated post-training on the recorded
 * inputs: largest difference of its dequantized outputs to PyTorch's float
 * outputs, relative to the largest output. */
/* Calibration by freebits' trainer: α of every tensor from its float
 * forward on @in (capped at a bounded ReLU's max), weight steps at their
 * initial values; the weights a fine-tuning of @cfg would start from. */
static FbWeights *
calibrate_by_trainer (FbOnnxImport *imp, FbPrecisionConfig *cfg, const Inputs *in, guint n)
{
  FbTrainOptions opt;
  g_autoptr(GError) error = NULL;
  FbTrainer *tr;
  FbWeights *w;

  fb_train_options_init (&opt);
  opt.batch_size = n;
  opt.shards = 1;
  opt.quant = FB_TRAIN_FIXED;
  tr = fb_trainer_new (fb_onnx_import_get_network (imp), &opt, fb_onnx_import_get_weights (imp), "imported", &error);
  g_assert_no_error (error);
  g_assert_true (fb_trainer_set_fixed_config (tr, cfg, &error));
  fb_trainer_calibrate_act_alpha (tr, in->x, n);
  w = fb_trainer_get_weights (tr);
  fb_trainer_free (tr);
  return w;
}

static double
integer_error (const char *name, const char *spec, gboolean by_trainer)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, name);
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  FbNetwork *net;
  JsonArray *shape = json_object_get_array_member (meta, "input_shape");
  guint n = json_object_get_int_member (meta, "n"), k = json_object_get_int_member (meta, "outputs");
  gsize size = 1;
  g_autofree char *in_file = g_strconcat (name, "-inputs.bin", NULL);
  g_autofree char *out_file = g_strconcat (name, "-outputs.bin", NULL);
  g_autofree float *x = NULL, *want = NULL, *got = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) calibrated = NULL;
  g_autoptr(FbPrecisionConfig) cfg = NULL;
  g_autoptr(FbIntNetwork) inet = NULL;
  g_autofree guint8 *image = NULL, *arena = NULL, *scratch = NULL;
  g_autofree gint32 *logits = g_new (gint32, k);
  Inputs in;
  double scale;

  for (guint d = 0; d < json_array_get_length (shape); d++)
    size *= json_array_get_int_element (shape, d);
  options_from_meta (meta, &o);
  imp = import_model (name, &o);
  net = fb_onnx_import_get_network (imp);
  x = fb_onnx_test_read_floats (in_file, n * size);
  want = fb_onnx_test_read_floats (out_file, (gsize) n * k);
  in = (Inputs) { x, size };
  cfg = fb_precision_config_new_from_spec (net, spec, &error);
  g_assert_no_error (error);
  if (by_trainer)
    calibrated = calibrate_by_trainer (imp, cfg, &in, n);
  else
    calibrated = fb_int_network_calibrate_with (net, fb_onnx_import_get_weights (imp), "imported", input_at, &in,
                                                n, NULL, &error);
  g_assert_no_error (error);
  inet = fb_int_network_new (cfg, calibrated, "calibrated", fb_kernel_arch (), &error);
  g_assert_no_error (error);
  image = g_new0 (guint8, size);
  arena = g_malloc0 (fb_plan_get_arena_bytes (fb_int_network_get_plan (inet)) + 1);
  scratch = g_malloc0 (fb_plan_get_scratch_bytes (fb_int_network_get_plan (inet)) + 1);
  scale = fb_int_network_get_tensor_scale (inet, fb_network_get_logits (net)->index);
  got = g_new (float, (gsize) n * k);
  for (guint i = 0; i < n; i++)
    {
      fb_int_network_quantize_input (inet, x + i * size, image);
      g_assert_true (fb_int_network_run (inet, image, logits, arena, scratch, &error));
      g_assert_no_error (error);
      for (guint j = 0; j < k; j++)
        got[(gsize) i * k + j] = logits[j] * scale;
    }
  return compare (got, want, n, k, json_object_get_boolean_member (meta, "softmax_removed"));
}

/* The imported ResNet as published (signed second convs and shortcuts,
 * ReLU after the add) in integer arithmetic stays close to float; the other
 * models run too (signed 1-D input and values output, signed MFCC input,
 * windowed pools, ReLU6). Calibrated on the recorded inputs, by the integer
 * network's post-training calibration or by the trainer (both clamp a
 * bounded ReLU at its max in their float forward and cap α there).
 * The bounds are generous: the figures are the report. */
static void
test_integer (void)
{
  static const struct { const char *name, *spec; gboolean by_trainer; double bound; } cases[] = {
    { "resnet", "w8a8", FALSE, 0.1 }, { "resnet", "w4a4", FALSE, 0.5 },
    { "resnet", "w8a8", TRUE, 0.1 }, { "resnet", "w4a4", TRUE, 0.5 },
    { "kws", "w8a8", FALSE, 0.1 }, { "autoencoder", "w8a8", FALSE, 0.1 },
    { "pools", "w8a8", TRUE, 0.1 }, { "pools", "w8a8", FALSE, 0.1 }, { "mbv1", "w8a8", FALSE, 0.2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double err = integer_error (cases[i].name, cases[i].spec, cases[i].by_trainer);
      g_test_message ("%s %s (integer, calibrated by the %s on its recorded inputs): largest difference to "
                      "PyTorch %.3g of the largest output", cases[i].name, cases[i].spec,
                      cases[i].by_trainer ? "trainer" : "integer network", err);
      g_assert_cmpfloat (err, <, cases[i].bound);
    }
}

/* The integer network's post-training calibration honours ReLU6: the
 * pools model's bounded layer (its conv2 weights are scaled so that the
 * bound clips) gets α ≤ 6 at every bit-width, and the tensors after it see
 * the clamped values (the pools model is then as close to PyTorch as the
 * trainer-calibrated one, test_integer; without the clamp it was 47 % off). */
static void
test_calibration_relu_max (void)
{
  JsonObject *meta = fb_onnx_test_model_meta (models_root, "pools");
  FbOnnxImportOptions o;
  g_autoptr(FbOnnxImport) imp = NULL;
  g_autoptr(FbWeights) calibrated = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *x = NULL;
  JsonArray *shape = json_object_get_array_member (meta, "input_shape");
  guint n = json_object_get_int_member (meta, "n"), bounded = 0;
  gsize size = 1;
  FbNetwork *net;
  Inputs in;

  for (guint d = 0; d < json_array_get_length (shape); d++)
    size *= json_array_get_int_element (shape, d);
  options_from_meta (meta, &o);
  imp = import_model ("pools", &o);
  net = fb_onnx_import_get_network (imp);
  x = fb_onnx_test_read_floats ("pools-inputs.bin", n * size);
  in = (Inputs) { x, size };
  calibrated = fb_int_network_calibrate_with (net, fb_onnx_import_get_weights (imp), "imported", input_at, &in,
                                              n, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < fb_network_get_n_layers (net); i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      const FbWeightsTensor *bound = fb_weights_lookup (calibrated, l->name, "relu_max");
      const FbWeightsTensor *alpha = fb_weights_lookup (calibrated, l->name, "act_alpha");
      if (bound == NULL)
        continue;
      bounded++;
      g_assert_nonnull (alpha);
      g_assert_cmpfloat (bound->data[0], ==, 6.0f);
      for (guint b = 0; b < 3; b++)
        {
          g_assert_cmpfloat (alpha->data[b], >, 0.0f);
          g_assert_cmpfloat (alpha->data[b], <=, bound->data[0]);
        }
      /* the bound clips in this model: the 8-bit α sits at it */
      g_assert_cmpfloat (alpha->data[0], >, 0.9f * bound->data[0]);
    }
  g_assert_cmpuint (bounded, ==, 1);
}

int
main (int argc, char **argv)
{
  static const char *names[] = { "resnet", "mbv1", "kws", "autoencoder", "pools", "shared" };

  g_test_init (&argc, &argv, NULL);
  models_root = fb_onnx_test_load_models ();
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_strdup_printf ("/import/pytorch/%s", names[i]);
      g_test_add_data_func (path, names[i], test_model);
    }
  g_test_add_func ("/import/resnet-structure", test_resnet_structure);
  g_test_add_func ("/import/output-and-input", test_output_and_input);
  g_test_add_func ("/import/normalization-folded", test_normalization_folded);
  g_test_add_func ("/import/normalization-note", test_normalization_note);
  g_test_add_func ("/import/sanitized-names", test_sanitized_names);
  g_test_add_func ("/import/cli", test_cli_import);
  g_test_add_func ("/import/cli-unwritable", test_cli_unwritable);
  g_test_add_func ("/import/mutations", test_mutations);
  g_test_add_func ("/import/resnet-quantized", test_resnet_quantized);
  g_test_add_func ("/import/train-memorizes", test_train_memorizes);
  g_test_add_func ("/import/train-values", test_train_values);
  g_test_add_func ("/import/train-frozen-bias", test_train_frozen_bias);
  g_test_add_func ("/import/integer", test_integer);
  g_test_add_func ("/import/calibration-relu-max", test_calibration_relu_max);
  for (guint i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("/import/malformed/%s", malformed[i][0]);
      g_test_add_data_func (path, malformed[i], test_malformed);
    }
  return g_test_run ();
}
