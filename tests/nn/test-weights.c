/* test-weights.c — freebits-weights/1: round trip, mismatch, damage.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>

#include "fb-error.h"
#include "fb-nn-test-util.h"
#include "fb-trainer.h"
#include "fb-weights.h"

static FbWeights *
make_weights (FbNetwork *net)
{
  FbWeights *w = fb_weights_new_for_network (net);
  g_autoptr(JsonObject) training = json_object_new ();
  guint d4[4] = { 16, 3, 3, 1 }, d1[1] = { 16 }, d3[1] = { 3 };
  float *p;

  p = fb_weights_add (w, "conv1", "weight", 4, d4);
  for (guint i = 0; i < 16 * 9; i++)
    p[i] = (float) i * 0.25f - 7.0f;
  p = fb_weights_add (w, "conv1", "bn_var", 1, d1);
  for (guint i = 0; i < 16; i++)
    p[i] = 1.0f / (float) (i + 1);
  /* A QAT-style tensor the float trainer does not know: kept as is. */
  p = fb_weights_add (w, "conv1", "act_alpha", 1, d3);
  p[0] = 6.0f, p[1] = 4.0f, p[2] = 2.0f;
  json_object_set_int_member (training, "epochs", 3);
  json_object_set_double_member (training, "float_test_accuracy", 0.9123);
  fb_weights_set_training (w, training);
  return w;
}

static void
test_round_trip (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbWeights) w = make_weights (net);
  g_autoptr(FbWeights) back = NULL;
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "w.fbw", NULL);
  g_autofree char *text = NULL;
  gsize len = 0;

  g_assert_true (fb_weights_save (w, path, &error));
  g_assert_no_error (error);
  back = fb_weights_load (path, net, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fb_weights_get_network_name (back), ==, "fmnist-mbv1");
  g_assert_cmpstr (fb_weights_get_network_sha256 (back), ==, fb_network_get_sha256 (net));
  g_assert_cmpuint (fb_weights_get_n_tensors (back), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      const FbWeightsTensor *a = fb_weights_get_tensor (w, i), *b = fb_weights_get_tensor (back, i);
      g_assert_cmpstr (a->layer, ==, b->layer);
      g_assert_cmpstr (a->param, ==, b->param);
      g_assert_cmpuint (a->n_dims, ==, b->n_dims);
      g_assert_cmpmem (a->dims, a->n_dims * sizeof (guint), b->dims, b->n_dims * sizeof (guint));
      g_assert_cmpmem (a->data, a->n * sizeof (float), b->data, b->n * sizeof (float));
    }
  g_assert_nonnull (fb_weights_get_training (back));
  g_assert_cmpint (json_object_get_int_member (fb_weights_get_training (back), "epochs"), ==, 3);
  g_assert_null (fb_weights_get_checkpoint (back));

  /* Layout: the header is readable text, the blob starts 64-byte aligned. */
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_true (g_str_has_prefix (text, "{\n  \"format\" : \"freebits-weights/1\""));
  g_assert_cmpuint (len % FB_WEIGHTS_ALIGN, ==, 0);

  /* Saving again gives identical bytes (no timestamps). */
  {
    g_autoptr(GBytes) b1 = fb_weights_to_bytes (w), b2 = fb_weights_to_bytes (back);
    g_assert_true (g_bytes_equal (b1, b2));
  }
  fb_test_tmpdir_free (dir);
}

static void
test_mismatch (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbNetwork) other = fb_test_load_bundled ("mobilenet-v1-0.25-128.json");
  g_autoptr(FbWeights) w = make_weights (net);
  g_autoptr(GError) error = NULL;
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "w.fbw", NULL);
  FbWeights *back;

  g_assert_true (fb_weights_save (w, path, NULL));
  back = fb_weights_load (path, other, &error);
  g_assert_null (back);
  g_assert_error (error, FB_ERROR, FB_ERROR_MISMATCH);
  g_test_message ("%s", error->message);
  fb_test_assert_mentions (error->message, path);
  fb_test_assert_mentions (error->message, "fmnist-mbv1");
  fb_test_assert_mentions (error->message, fb_network_get_name (other));
  fb_test_tmpdir_free (dir);
}

/* A weights file for the network whose tensors do not fit the trainer. */
static void
test_trainer_rejects_bad_tensors (void)
{
  g_autoptr(FbNetwork) net = fb_test_tiny_network (8, 8);
  g_autoptr(FbWeights) w = fb_weights_new_for_network (net);
  g_autoptr(GError) error = NULL;
  FbTrainOptions opt;
  FbTrainer *t;
  guint wrong[4] = { 8, 3, 3, 2 };

  fb_train_options_init (&opt);
  opt.batch_size = 4;
  fb_weights_add (w, "c1", "weight", 4, wrong);
  t = fb_trainer_new (net, &opt, w, "bad.fbw", &error);
  g_assert_null (t);
  g_assert_error (error, FB_ERROR, FB_ERROR_SHAPE);
  g_test_message ("%s", error->message);
  fb_test_assert_mentions (error->message, "bad.fbw");
  fb_test_assert_mentions (error->message, "[8, 3, 3, 2]");
  fb_test_assert_mentions (error->message, "[8, 3, 3, 1]");
  g_clear_error (&error);

  /* Right shape, missing batch-norm tensors. */
  {
    g_autoptr(FbWeights) w2 = fb_weights_new_for_network (net);
    guint right[4] = { 8, 3, 3, 1 };
    fb_weights_add (w2, "c1", "weight", 4, right);
    t = fb_trainer_new (net, &opt, w2, "bad.fbw", &error);
    g_assert_null (t);
    g_assert_error (error, FB_ERROR, FB_ERROR_MISSING);
    fb_test_assert_mentions (error->message, "bn_gamma");
    fb_test_assert_mentions (error->message, "c1");
  }
}

/* Every truncation and many byte flips: an error naming the file, never a
 * crash (run it under the sanitize build too). */
static void
test_damage (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbWeights) w = make_weights (net);
  g_autoptr(GBytes) bytes = fb_weights_to_bytes (w);
  gsize len = 0;
  const guint8 *orig = g_bytes_get_data (bytes, &len);
  g_autofree guint8 *buf = g_memdup2 (orig, len);
  guint n_errors = 0;

  /* Truncated anywhere. */
  for (gsize cut = 0; cut < len; cut += 1 + cut / 64)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FbWeights) back = fb_weights_load_from_data (orig, cut, "cut.fbw", net, &error);
      g_assert_null (back);
      g_assert_nonnull (error);
      fb_test_assert_mentions (error->message, "cut.fbw");
      n_errors++;
    }
  /* The blob cut short says "truncated". */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FbWeights) back = fb_weights_load_from_data (orig, len - 4, "cut.fbw", net, &error);
    g_assert_null (back);
    g_assert_error (error, FB_ERROR, FB_ERROR_FORMAT);
    fb_test_assert_mentions (error->message, "truncated");
  }
  /* A flipped bit in the data: checksum. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FbWeights) back = NULL;
    buf[len - 100] ^= 0x10;
    back = fb_weights_load_from_data (buf, len, "flip.fbw", net, &error);
    g_assert_error (error, FB_ERROR, FB_ERROR_FORMAT);
    fb_test_assert_mentions (error->message, "flip.fbw");
    fb_test_assert_mentions (error->message, "corrupted");
    buf[len - 100] ^= 0x10;
  }
  /* Byte edits all over the header: an error or, when the edit is harmless
   * (whitespace), the same tensors. */
  for (gsize i = 0; i < len; i += 3)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FbWeights) back = NULL;
      guint8 saved = buf[i];
      buf[i] = (guint8) (saved ^ 0x5a);
      back = fb_weights_load_from_data (buf, len, "edit.fbw", net, &error);
      if (back == NULL)
        {
          g_assert_nonnull (error);
          fb_test_assert_mentions (error->message, "edit.fbw");
          n_errors++;
        }
      buf[i] = saved;
    }
  g_test_message ("%u damaged variants rejected", n_errors);
  /* Not a weights file at all. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FbWeights) back = fb_weights_load_from_data ((const guint8 *) "{\"format\": \"freebits-network/1\"}", 33,
                                                           "net.json", net, &error);
    g_assert_null (back);
    g_assert_error (error, FB_ERROR, FB_ERROR_FORMAT);
    fb_test_assert_mentions (error->message, "net.json");
  }
  /* Missing file. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FbWeights) back = fb_weights_load ("/nonexistent/x.fbw", net, &error);
    g_assert_null (back);
    g_assert_error (error, FB_ERROR, FB_ERROR_IO);
    fb_test_assert_mentions (error->message, "/nonexistent/x.fbw");
  }
}

static void
test_unknown_layer (void)
{
  g_autoptr(FbNetwork) net = fb_test_load_bundled ("fmnist-mbv1.json");
  g_autoptr(FbWeights) w = fb_weights_new_for_network (net);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) back = NULL;
  guint d[1] = { 4 };

  fb_weights_add (w, "conv9", "weight", 1, d);
  bytes = fb_weights_to_bytes (w);
  back = fb_weights_load_from_data (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                    "w.fbw", net, &error);
  g_assert_error (error, FB_ERROR, FB_ERROR_GRAPH);
  fb_test_assert_mentions (error->message, "conv9");
  fb_test_assert_mentions (error->message, "tensors[0]");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/weights/round-trip", test_round_trip);
  g_test_add_func ("/nn/weights/network-mismatch", test_mismatch);
  g_test_add_func ("/nn/weights/truncated-and-corrupted", test_damage);
  g_test_add_func ("/nn/weights/unknown-layer", test_unknown_layer);
  g_test_add_func ("/nn/weights/trainer-rejects-bad-tensors", test_trainer_rejects_bad_tensors);
  return g_test_run ();
}
