/* fb-dataset-test-util.h — writers of every dataset format, for the tests
 * (header only). The tests make their own small sets: .npy / .npz (libzip),
 * IDX, CIFAR-10 binary batches and PNG class folders (gdk-pixbuf).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>
#include <zip.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "fb-nn-test-util.h"

/* A set of n H×W×C u8 examples (HWC) with labels. */
typedef struct {
  guint   n, h, w, c;
  guint8 *x;
  guint8 *y;
} FbTestSet;

static inline void
fb_test_set_clear (FbTestSet *s)
{
  g_clear_pointer (&s->x, g_free);
  g_clear_pointer (&s->y, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FbTestSet, fb_test_set_clear)

/* Learnable, not trivially: the class sets the overall brightness (blurred
 * by a random offset per example) and raises channel (label % c), under
 * noise. @cyclic: labels 0, 1, …, n_classes − 1,
 * 0, … (the order image class folders give back); else random. */
static inline void
fb_test_set_init (FbTestSet *s, guint n, guint h, guint w, guint c, guint n_classes, gboolean cyclic,
                  guint32 seed)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (seed);
  gsize ex = (gsize) h * w * c;

  s->n = n, s->h = h, s->w = w, s->c = c;
  s->x = g_new (guint8, MAX (n * ex, 1));
  s->y = g_new (guint8, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      guint label = cyclic ? i % n_classes : (guint) g_rand_int_range (r, 0, (gint32) n_classes);
      s->y[i] = (guint8) label;
      /* An offset per example blurs neighbouring classes: not trivially separable. */
      guint offset = (guint) g_rand_int_range (r, 0, (gint32) (2 * (200 / n_classes)));
      for (gsize k = 0; k < ex; k++)
        {
          guint ch = k % c, base = 10 + label * (200 / n_classes);
          guint v = base + offset + (ch == label % c ? 15 : 0) + (guint) g_rand_int_range (r, 0, 20);
          s->x[i * ex + k] = (guint8) MIN (v, 255u);
        }
    }
}

/* A .npy file's bytes: version 1.0, C order. */
static inline GBytes *
fb_test_npy_bytes (const char *descr, guint n_dims, const guint *dims, const void *data, gsize size)
{
  g_autoptr(GString) h = g_string_new (NULL);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint16 hl;

  g_string_append_printf (h, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (h, "%u,%s", dims[i], i + 1 < n_dims ? " " : "");
  g_string_append (h, "), }");
  /* Padded with spaces to a multiple of 64 (magic + 4 + header), ending in \n. */
  while ((10 + h->len + 1) % 64 != 0)
    g_string_append_c (h, ' ');
  g_string_append_c (h, '\n');
  hl = GUINT16_TO_LE ((guint16) h->len);
  g_byte_array_append (out, (const guint8 *) "\x93NUMPY\x01\x00", 8);
  g_byte_array_append (out, (const guint8 *) &hl, 2);
  g_byte_array_append (out, (const guint8 *) h->str, h->len);
  g_byte_array_append (out, data, (guint) size);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static inline void
fb_test_write_bytes (const char *path, GBytes *b)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *p = g_bytes_get_data (b, &size);
  g_assert_true (g_file_set_contents (path, p, (gssize) size, &error));
  g_assert_no_error (error);
}

static inline void
fb_test_write_npy (const char *path, const char *descr, guint n_dims, const guint *dims,
                   const void *data, gsize size)
{
  g_autoptr(GBytes) b = fb_test_npy_bytes (descr, n_dims, dims, data, size);
  fb_test_write_bytes (path, b);
}

/* A .npz holding @n members NAME.npy; stored (np.savez) or deflated
 * (np.savez_compressed). */
static inline void
fb_test_write_npz (const char *path, guint n, const char *const *names, GBytes *const *members,
                   gboolean compressed)
{
  int err = 0;
  zip_t *z = zip_open (path, ZIP_CREATE | ZIP_TRUNCATE, &err);

  g_assert_nonnull (z);
  for (guint i = 0; i < n; i++)
    {
      gsize size;
      const void *p = g_bytes_get_data (members[i], &size);
      zip_source_t *src = zip_source_buffer (z, p, size, 0);
      g_autofree char *name = g_strconcat (names[i], ".npy", NULL);
      zip_int64_t idx = zip_file_add (z, name, src, ZIP_FL_OVERWRITE);
      g_assert_cmpint (idx, >=, 0);
      g_assert_cmpint (zip_set_file_compression (z, (zip_uint64_t) idx,
                                                 compressed ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0), ==, 0);
    }
  g_assert_cmpint (zip_close (z), ==, 0);
}

/* x (N×H×W×C, or N×C×H×W when @nchw) and y (int64) of @s as .npy bytes. */
static inline GBytes *
fb_test_set_x_npy (const FbTestSet *s, guint first, guint n, gboolean nchw)
{
  gsize ex = (gsize) s->h * s->w * s->c;
  guint dims[4] = { n, s->h, s->w, s->c };
  g_autofree guint8 *t = NULL;

  if (!nchw)
    return fb_test_npy_bytes ("|u1", 4, dims, s->x + first * ex, n * ex);
  t = g_new (guint8, MAX (n * ex, 1));
  for (guint i = 0; i < n; i++)
    for (guint ch = 0; ch < s->c; ch++)
      for (guint p = 0; p < s->h * s->w; p++)
        t[i * ex + ch * s->h * s->w + p] = s->x[(first + i) * ex + p * s->c + ch];
  dims[1] = s->c, dims[2] = s->h, dims[3] = s->w;
  return fb_test_npy_bytes ("|u1", 4, dims, t, n * ex);
}

static inline GBytes *
fb_test_set_y_npy (const FbTestSet *s, guint first, guint n)
{
  g_autofree gint64 *y = g_new (gint64, MAX (n, 1));
  guint dims[1] = { n };
  for (guint i = 0; i < n; i++)
    y[i] = (gint64) GINT64_TO_LE ((gint64) s->y[first + i]);
  return fb_test_npy_bytes ("<i8", 1, dims, y, n * sizeof (gint64));
}

/* IDX files PREFIX-images-idx4-ubyte (N×H×W×C u8) and PREFIX-labels-idx1-ubyte. */
static inline void
fb_test_set_write_idx (const FbTestSet *s, guint first, guint n, const char *dir, const char *prefix)
{
  g_autofree char *ip = g_strdup_printf ("%s/%s-images-idx4-ubyte", dir, prefix);
  g_autofree char *lp = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, prefix);
  guint32 idims[4] = { n, s->h, s->w, s->c }, ldims[1] = { n };
  gsize ex = (gsize) s->h * s->w * s->c;

  fb_test_write_idx (ip, 4, idims, s->x + first * ex, n * ex, FALSE);
  fb_test_write_idx (lp, 1, ldims, s->y + first, n, FALSE);
}

/* A CIFAR-10 batch: label byte, then the image C×H×W (32×32×3 sets only). */
static inline void
fb_test_set_write_cifar (const FbTestSet *s, guint first, guint n, const char *path)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();
  gsize ex = (gsize) s->h * s->w * s->c;
  g_autoptr(GBytes) bytes = NULL;

  g_assert_true (s->h == 32 && s->w == 32 && s->c == 3);
  for (guint i = first; i < first + n; i++)
    {
      g_byte_array_append (b, s->y + i, 1);
      for (guint ch = 0; ch < 3; ch++)
        for (guint p = 0; p < 1024; p++)
          g_byte_array_append (b, s->x + i * ex + p * 3 + ch, 1);
    }
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&b));
  fb_test_write_bytes (path, bytes);
}

/* DIR/cNN/iMMMM.png per example (C = 3: RGB; C = 1: gray as R = G = B). */
static inline void
fb_test_set_write_images (const FbTestSet *s, guint first, guint n, const char *dir)
{
  gsize ex = (gsize) s->h * s->w * s->c;

  g_assert_true (s->c == 3 || s->c == 1);
  for (guint i = first; i < first + n; i++)
    {
      g_autofree char *cls = g_strdup_printf ("%s/c%02u", dir, s->y[i]);
      g_autofree char *path = g_strdup_printf ("%s/i%05u.png", cls, i);
      g_autoptr(GdkPixbuf) pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int) s->w, (int) s->h);
      g_autoptr(GError) error = NULL;
      guint8 *px = gdk_pixbuf_get_pixels (pb);
      int stride = gdk_pixbuf_get_rowstride (pb);

      g_assert_cmpint (g_mkdir_with_parents (cls, 0755), ==, 0);
      for (guint r = 0; r < s->h; r++)
        for (guint x = 0; x < s->w; x++)
          for (guint ch = 0; ch < 3; ch++)
            px[r * stride + x * 3 + ch] = s->x[i * ex + (r * s->w + x) * s->c + (s->c == 3 ? ch : 0)];
      g_assert_true (gdk_pixbuf_save (pb, path, "png", &error, NULL));
      g_assert_no_error (error);
    }
}

/* Asserts that @ds holds exactly examples @first.. of @s. */
static inline void
fb_test_assert_set_equal (FbDataset *ds, const FbTestSet *s, guint first, guint n)
{
  gsize ex = (gsize) s->h * s->w * s->c;

  g_assert_cmpuint (fb_dataset_get_n_images (ds), ==, n);
  g_assert_cmpuint (fb_dataset_get_height (ds), ==, s->h);
  g_assert_cmpuint (fb_dataset_get_width (ds), ==, s->w);
  g_assert_cmpuint (fb_dataset_get_channels (ds), ==, s->c);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (fb_dataset_get_label (ds, i), ==, s->y[first + i]);
      g_assert_cmpmem (fb_dataset_get_image (ds, i), ex, s->x + (first + i) * ex, ex);
    }
}

/* Image folders hold examples class by class, taken in turn: the order the
 * loader gives. Asserts @ds holds the same multiset of (example, label). */
static inline void
fb_test_assert_set_same_examples (FbDataset *ds, const FbTestSet *s, guint first, guint n)
{
  gsize ex = (gsize) s->h * s->w * s->c;
  g_autofree gboolean *used = g_new0 (gboolean, MAX (n, 1));

  g_assert_cmpuint (fb_dataset_get_n_images (ds), ==, n);
  for (guint i = 0; i < n; i++)
    {
      gboolean found = FALSE;
      for (guint j = 0; j < n && !found; j++)
        if (!used[j] && s->y[first + j] == fb_dataset_get_label (ds, i) &&
            memcmp (fb_dataset_get_image (ds, i), s->x + (first + j) * ex, ex) == 0)
          used[j] = found = TRUE;
      g_assert_true (found);
    }
}

static inline void
fb_test_write_text (const char *path, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
}

/* A small network for 32×32×3 sets of 10 classes (conv, depthwise, pointwise,
 * pool, classifier) written to @path; @input_fields adds members to its input
 * (", \"signed\": true, …", or ""). */
static inline void
fb_test_write_tiny_rgb_net (const char *path, const char *input_fields)
{
  g_autofree char *text = g_strdup_printf (
    "{ \"format\": \"freebits-network/1\", \"name\": \"tiny-rgb\","
    "  \"input\": { \"name\": \"input\", \"shape\": [32, 32, 3] %s },"
    "  \"layers\": ["
    "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\","
    "     \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cout\": 8 },"
    "   { \"name\": \"d2\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c1\"], \"output\": \"d2\","
    "     \"kernel\": 3, \"stride\": 2, \"pad\": 1 },"
    "   { \"name\": \"p2\", \"op\": \"conv2d\", \"inputs\": [\"d2\"], \"output\": \"p2\","
    "     \"kernel\": 1, \"cout\": 16 },"
    "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"p2\"], \"output\": \"pool\" },"
    "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"fc\", \"cout\": 10 }"
    "  ] }", input_fields);

  fb_test_write_text (path, text);
}

/* @s as an .npz with x_train / y_train (its first @n_train examples) and
 * x_test / y_test (the @n_test after them): u8, or float32 in [0, 1] when
 * @as_float; stored or (@compressed) deflated. */
static inline void
fb_test_set_write_npz (const FbTestSet *s, guint n_train, guint n_test, const char *path,
                       gboolean compressed, gboolean as_float)
{
  const char *names[4] = { "x_train", "y_train", "x_test", "y_test" };
  GBytes *m[4];

  for (guint part = 0; part < 2; part++)
    {
      guint first = part ? n_train : 0, n = part ? n_test : n_train;
      if (as_float)
        {
          gsize ex = (gsize) s->h * s->w * s->c;
          g_autofree float *f = g_new (float, n * ex);
          guint dims[4] = { n, s->h, s->w, s->c };
          for (gsize k = 0; k < n * ex; k++)
            f[k] = s->x[first * ex + k] / 255.0f;
          m[2 * part] = fb_test_npy_bytes ("<f4", 4, dims, f, n * ex * sizeof (float));
        }
      else
        m[2 * part] = fb_test_set_x_npy (s, first, n, FALSE);
      m[2 * part + 1] = fb_test_set_y_npy (s, first, n);
    }
  fb_test_write_npz (path, 4, names, m, compressed);
  for (guint i = 0; i < 4; i++)
    g_bytes_unref (m[i]);
}
