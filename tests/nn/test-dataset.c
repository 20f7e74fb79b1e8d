/* test-dataset.c — IDX reader and batch loader.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-data-loader.h"
#include "fb-error.h"
#include "fb-nn-test-util.h"

#define N 6
#define H 3
#define W 4

static guint8 pixels[N * H * W];
static guint8 labels[N] = { 3, 1, 4, 1, 5, 9 };

static void
write_pair (const char *dir, gboolean gzip, char **ip, char **lp)
{
  guint32 idims[3] = { N, H, W }, ldims[1] = { N };

  for (guint i = 0; i < N * H * W; i++)
    pixels[i] = (guint8) (i * 7 + 1);
  *ip = g_build_filename (dir, gzip ? "img.gz" : "img", NULL);
  *lp = g_build_filename (dir, gzip ? "lab.gz" : "lab", NULL);
  fb_test_write_idx (*ip, 3, idims, pixels, sizeof pixels, gzip);
  fb_test_write_idx (*lp, 1, ldims, labels, sizeof labels, gzip);
}

static void
check_contents (FbDataset *ds)
{
  g_assert_cmpuint (fb_dataset_get_n_images (ds), ==, N);
  g_assert_cmpuint (fb_dataset_get_height (ds), ==, H);
  g_assert_cmpuint (fb_dataset_get_width (ds), ==, W);
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpuint (fb_dataset_get_label (ds, i), ==, labels[i]);
      g_assert_cmpmem (fb_dataset_get_image (ds, i), H * W, pixels + i * H * W, H * W);
    }
}

static void
test_plain_and_gzip (void)
{
  char *dir = fb_test_tmpdir_new ();

  for (guint gz = 0; gz < 2; gz++)
    {
      g_autofree char *ip = NULL, *lp = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(FbDataset) ds = NULL;

      write_pair (dir, gz, &ip, &lp);
      ds = fb_dataset_load_idx (ip, lp, 10, NULL, &error);
      g_assert_no_error (error);
      check_contents (ds);
    }
  fb_test_tmpdir_free (dir);
}

/* Rewrites @path with its bytes edited by @edit, then expects an error. */
static void
expect_error (const char *images, const char *labels_path, FbError code, const char *mention,
              const char *file_mention)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) ds = fb_dataset_load_idx (images, labels_path, 10, NULL, &error);

  g_assert_null (ds);
  g_assert_error (error, FB_ERROR, (gint) code);
  g_test_message ("%s", error->message);
  fb_test_assert_mentions (error->message, file_mention);
  fb_test_assert_mentions (error->message, mention);
}

static void
test_corrupted (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *ip = NULL, *lp = NULL, *bad = g_build_filename (dir, "bad", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  guint32 dims3[3] = { N, H, W }, dims1[1] = { N };

  write_pair (dir, FALSE, &ip, &lp);
  g_assert_true (g_file_get_contents (ip, &data, &len, NULL));

  /* Wrong magic: a label file given as images. */
  expect_error (lp, lp, FB_ERROR_FORMAT, "magic", lp);
  /* Truncated data. */
  g_assert_true (g_file_set_contents (bad, data, (gssize) len - 5, NULL));
  expect_error (bad, lp, FB_ERROR_FORMAT, "truncated", bad);
  /* Truncated header. */
  g_assert_true (g_file_set_contents (bad, data, 6, NULL));
  expect_error (bad, lp, FB_ERROR_FORMAT, "truncated", bad);
  /* Trailing garbage. */
  {
    g_autofree char *longer = g_malloc0 (len + 3);
    memcpy (longer, data, len);
    g_assert_true (g_file_set_contents (bad, longer, (gssize) len + 3, NULL));
    expect_error (bad, lp, FB_ERROR_FORMAT, "trailing", bad);
  }
  /* A zero dimension. */
  {
    guint32 zero[3] = { N, 0, W };
    fb_test_write_idx (bad, 3, zero, pixels, 0, FALSE);
    expect_error (bad, lp, FB_ERROR_FORMAT, "dimension 1", bad);
  }
  /* Label count differs from image count. */
  {
    guint32 fewer[1] = { N - 1 };
    fb_test_write_idx (bad, 1, fewer, labels, N - 1, FALSE);
    expect_error (ip, bad, FB_ERROR_SHAPE, "5 labels", bad);
  }
  /* Label out of range. */
  {
    guint8 l2[N] = { 0, 1, 2, 3, 10, 5 };
    fb_test_write_idx (bad, 1, dims1, l2, N, FALSE);
    expect_error (ip, bad, FB_ERROR_FIELD, "label 10 of image 4", bad);
  }
  /* A gzip stream cut short. */
  {
    g_autofree char *gz = g_build_filename (dir, "cut.gz", NULL);
    g_autofree char *gzdata = NULL;
    gsize gzlen = 0;
    fb_test_write_idx (gz, 3, dims3, pixels, sizeof pixels, TRUE);
    g_assert_true (g_file_get_contents (gz, &gzdata, &gzlen, NULL));
    g_assert_true (g_file_set_contents (gz, gzdata, (gssize) gzlen / 2, NULL));
    expect_error (gz, lp, FB_ERROR_FORMAT, "truncated", gz);
  }
  /* Missing file. */
  {
    g_autofree char *none = g_build_filename (dir, "none", NULL);
    expect_error (none, lp, FB_ERROR_IO, "No such file", none);
  }
  fb_test_tmpdir_free (dir);
}

static void
test_missing_package (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) ds = fb_dataset_load_fashion_mnist (dir, FB_DATASET_TRAIN, NULL, &error);

  g_assert_null (ds);
  g_assert_error (error, FB_ERROR, FB_ERROR_IO);
  g_test_message ("%s", error->message);
  fb_test_assert_mentions (error->message, "dataset-fashion-mnist");
  fb_test_assert_mentions (error->message, "train-images-idx3-ubyte.gz");
  fb_test_tmpdir_free (dir);
}

static void
test_loader_eval_order (void)
{
  char *dir = fb_test_tmpdir_new ();
  g_autofree char *ip = NULL, *lp = NULL;
  g_autoptr(FbDataset) ds = NULL;
  g_autoptr(FbDataLoader) loader = NULL;
  float x[4 * H * W];
  guint8 lab[4];

  write_pair (dir, FALSE, &ip, &lp);
  ds = fb_dataset_load_idx (ip, lp, 10, NULL, NULL);
  loader = fb_data_loader_new (ds, FB_DATA_LOADER_EVAL, 4, 0, 1);
  g_assert_cmpuint (fb_data_loader_get_n_batches (loader), ==, 2);
  g_assert_cmpuint (fb_data_loader_fill (loader, 0, 0, x, lab), ==, 4);
  g_assert_cmpuint (fb_data_loader_fill (loader, 0, 1, x, lab), ==, 2);
  g_assert_cmpuint (lab[0], ==, labels[4]);
  g_assert_cmpuint (lab[1], ==, labels[5]);
  for (guint i = 0; i < H * W; i++)
    g_assert_cmpfloat (x[i], ==, pixels[4 * H * W + i] / 255.0f);
  fb_test_tmpdir_free (dir);
}

/* Does @out equal @src cropped at (oy, ox) from its 2-pixel zero padding,
 * maybe mirrored? */
static gboolean
is_augmented (const guint8 *src, const float *out, guint h, guint w)
{
  for (int oy = -2; oy <= 2; oy++)
    for (int ox = -2; ox <= 2; ox++)
      for (int flip = 0; flip < 2; flip++)
        {
          gboolean same = TRUE;
          for (guint r = 0; r < h && same; r++)
            for (guint c = 0; c < w && same; c++)
              {
                int sr = (int) r + oy, sc = (int) (flip ? w - 1 - c : c) + ox;
                float want = sr < 0 || sr >= (int) h || sc < 0 || sc >= (int) w
                  ? 0.0f : src[sr * w + sc] / 255.0f;
                same = out[r * w + c] == want;
              }
          if (same)
            return TRUE;
        }
  return FALSE;
}

static void
test_loader_shuffle_augment (void)
{
  char *dir = fb_test_tmpdir_new ();
  guint n = 200, h = 8, w = 7, bs = 16;
  g_autoptr(FbDataset) ds = fb_test_synthetic_dataset (dir, "syn", n, h, w, 5);
  g_autoptr(FbDataLoader) a = fb_data_loader_new (ds, FB_DATA_LOADER_TRAIN, bs, 0, 42);
  g_autoptr(FbDataLoader) b = fb_data_loader_new (ds, FB_DATA_LOADER_TRAIN, bs, 0, 42);
  g_autoptr(FbDataLoader) plain = fb_data_loader_new (ds, FB_DATA_LOADER_SHUFFLE, bs, 0, 42);
  g_autofree float *xa = g_new (float, bs * h * w), *xb = g_new (float, bs * h * w);
  guint8 la[16], lb[16];
  guint steps = fb_data_loader_get_n_batches (a);
  guint label_counts[10] = { 0 }, seen_counts[10] = { 0 };
  gboolean differs = FALSE, flipped_or_shifted = FALSE;

  /* Incomplete last batch dropped in training. */
  g_assert_cmpuint (steps, ==, n / bs);
  for (guint i = 0; i < n; i++)
    label_counts[fb_dataset_get_label (ds, i)]++;

  /* The same (epoch, step) gives the same batch, in any order of calls. */
  fb_data_loader_fill (a, 1, 3, xa, la);
  fb_data_loader_fill (b, 0, 0, xb, lb);
  fb_data_loader_fill (b, 1, 3, xb, lb);
  g_assert_cmpmem (xa, bs * h * w * sizeof (float), xb, bs * h * w * sizeof (float));
  g_assert_cmpmem (la, bs, lb, bs);

  /* Epochs differ; a batch holds augmented copies of dataset images. */
  fb_data_loader_fill (a, 0, 3, xa, la);
  fb_data_loader_fill (b, 2, 3, xb, lb);
  differs = memcmp (la, lb, bs) != 0;
  g_assert_true (differs);

  /* Each epoch is a permutation: SHUFFLE mode returns exact images, every
   * one at most once, and the label histogram of full batches matches. */
  {
    g_autofree gboolean *used = g_new0 (gboolean, n);
    for (guint s = 0; s < steps; s++)
      {
        fb_data_loader_fill (plain, 0, s, xa, la);
        for (guint k = 0; k < bs; k++)
          {
            guint found = G_MAXUINT;
            for (guint i = 0; i < n && found == G_MAXUINT; i++)
              if (!used[i] && is_augmented (fb_dataset_get_image (ds, i), xa + k * h * w, h, w) &&
                  fb_dataset_get_label (ds, i) == la[k])
                {
                  gboolean exact = TRUE;
                  for (guint p = 0; p < h * w && exact; p++)
                    exact = xa[k * h * w + p] == fb_dataset_get_image (ds, i)[p] / 255.0f;
                  if (exact)
                    found = i;
                }
            g_assert_cmpuint (found, !=, G_MAXUINT);
            used[found] = TRUE;
            seen_counts[la[k]]++;
          }
      }
    for (guint c = 0; c < 10; c++)
      g_assert_cmpuint (seen_counts[c], <=, label_counts[c]);
  }

  /* Augmented images are crops/flips of some image with their label. */
  for (guint s = 0; s < steps; s++)
    {
      fb_data_loader_fill (a, 0, s, xa, la);
      for (guint k = 0; k < bs; k++)
        {
          gboolean ok = FALSE;
          for (guint i = 0; i < n && !ok; i++)
            ok = fb_dataset_get_label (ds, i) == la[k] &&
                 is_augmented (fb_dataset_get_image (ds, i), xa + k * h * w, h, w);
          g_assert_true (ok);
          for (guint i = 0; i < n && !flipped_or_shifted; i++)
            if (fb_dataset_get_label (ds, i) == la[k] &&
                is_augmented (fb_dataset_get_image (ds, i), xa + k * h * w, h, w))
              {
                gboolean exact = TRUE;
                for (guint p = 0; p < h * w && exact; p++)
                  exact = xa[k * h * w + p] == fb_dataset_get_image (ds, i)[p] / 255.0f;
                flipped_or_shifted = !exact;
              }
        }
    }
  g_assert_true (flipped_or_shifted);
  fb_test_tmpdir_free (dir);
}

static void
test_fashion_mnist (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) test = fb_dataset_load_fashion_mnist (NULL, FB_DATASET_TEST, NULL, &error);
  guint counts[10] = { 0 };

  if (test == NULL && g_error_matches (error, FB_ERROR, FB_ERROR_IO))
    {
      g_test_skip_printf ("Fashion-MNIST is not installed (%s)", error->message);
      return;
    }
  g_assert_no_error (error);
  g_assert_cmpuint (fb_dataset_get_n_images (test), ==, 10000);
  g_assert_cmpuint (fb_dataset_get_height (test), ==, 28);
  g_assert_cmpuint (fb_dataset_get_width (test), ==, 28);
  for (guint i = 0; i < 10000; i++)
    counts[fb_dataset_get_label (test, i)]++;
  for (guint c = 0; c < 10; c++)
    g_assert_cmpuint (counts[c], ==, 1000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/dataset/idx-plain-and-gzip", test_plain_and_gzip);
  g_test_add_func ("/nn/dataset/idx-corrupted", test_corrupted);
  g_test_add_func ("/nn/dataset/missing-package", test_missing_package);
  g_test_add_func ("/nn/dataset/fashion-mnist-test-split", test_fashion_mnist);
  g_test_add_func ("/nn/data-loader/eval-order", test_loader_eval_order);
  g_test_add_func ("/nn/data-loader/shuffle-augment-deterministic", test_loader_shuffle_augment);
  return g_test_run ();
}
