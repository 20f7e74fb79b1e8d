/* fb-nn-test-util.h — helpers shared by the nn tests (header only).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-test-util.h"

/* Writes an IDX file of u8 data: big-endian magic 0x0800|n_dims, the dims,
 * the data; gzip-compressed through GIO when @gzip. */
static inline void
fb_test_write_idx (const char *path, guint n_dims, const guint32 *dims, const guint8 *data,
                   gsize size, gboolean gzip)
{
  g_autoptr(GByteArray) raw = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 be[4];
  guint32 magic = 0x0800u | n_dims;

  for (guint i = 0; i <= n_dims; i++)
    {
      guint32 v = i == 0 ? magic : dims[i - 1];
      be[0] = v >> 24;
      be[1] = v >> 16;
      be[2] = v >> 8;
      be[3] = v;
      g_byte_array_append (raw, be, 4);
    }
  g_byte_array_append (raw, data, (guint) size);

  if (gzip)
    {
      g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1);
      g_autoptr(GInputStream) mem = g_memory_input_stream_new_from_data (raw->data, raw->len, NULL);
      g_autoptr(GInputStream) conv = g_converter_input_stream_new (mem, G_CONVERTER (z));
      g_autoptr(GFile) file = g_file_new_for_path (path);
      g_autoptr(GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
      g_assert_no_error (error);
      g_output_stream_splice (G_OUTPUT_STREAM (out), conv,
                              G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET,
                              NULL, &error);
      g_assert_no_error (error);
    }
  else
    {
      g_file_set_contents (path, (const char *) raw->data, raw->len, &error);
      g_assert_no_error (error);
    }
}

/* A synthetic 10-class data set of @n h×w images whose class is easy to
 * learn (its brightness level, under noise), written as IDX
 * files into @dir and loaded back. */
static inline FbDataset *
fb_test_synthetic_dataset (const char *dir, const char *prefix, guint n, guint h, guint w,
                           guint32 seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint8 *pixels = g_new (guint8, (gsize) n * h * w);
  g_autofree guint8 *labels = g_new (guint8, n);
  g_autofree char *ip = g_strdup_printf ("%s/%s-images-idx3-ubyte", dir, prefix);
  g_autofree char *lp = g_strdup_printf ("%s/%s-labels-idx1-ubyte", dir, prefix);
  guint32 idims[3] = { n, h, w }, ldims[1] = { n };
  FbDataset *ds;

  for (guint i = 0; i < n; i++)
    {
      guint8 label = (guint8) g_rand_int_range (rand, 0, 10);
      labels[i] = label;
      /* Brightness survives global average pooling; the noise does not. */
      for (guint p = 0; p < h * w; p++)
        pixels[(gsize) i * h * w + p] = (guint8) (label * 20 + g_rand_int_range (rand, 0, 60));
    }
  fb_test_write_idx (ip, 3, idims, pixels, (gsize) n * h * w, FALSE);
  fb_test_write_idx (lp, 1, ldims, labels, n, FALSE);
  ds = fb_dataset_load_idx (ip, lp, 10, NULL, &error);
  g_assert_no_error (error);
  return ds;
}

/* A small network for w×h×1 inputs using every op: conv, depthwise,
 * pointwise, a residual add, pool, a hidden linear layer and a classifier. */
static inline FbNetwork *
fb_test_tiny_network (guint h, guint w)
{
  g_autofree char *json = g_strdup_printf (
    "{ \"format\": \"freebits-network/1\", \"name\": \"tiny\","
    "  \"input\": { \"name\": \"input\", \"shape\": [%u, %u, 1] },"
    "  \"layers\": ["
    "   { \"name\": \"c1\", \"op\": \"conv2d\", \"inputs\": [\"input\"], \"output\": \"c1\","
    "     \"kernel\": 3, \"stride\": 2, \"pad\": 1, \"cout\": 8 },"
    "   { \"name\": \"d2\", \"op\": \"depthwise_conv2d\", \"inputs\": [\"c1\"], \"output\": \"d2\","
    "     \"kernel\": 3, \"stride\": 1, \"pad\": 1 },"
    "   { \"name\": \"p2\", \"op\": \"conv2d\", \"inputs\": [\"d2\"], \"output\": \"p2\","
    "     \"kernel\": 1, \"cout\": 8 },"
    "   { \"name\": \"r2\", \"op\": \"add\", \"inputs\": [\"p2\", \"c1\"], \"output\": \"r2\" },"
    "   { \"name\": \"pool\", \"op\": \"global_avg_pool\", \"inputs\": [\"r2\"], \"output\": \"pool\" },"
    "   { \"name\": \"h\", \"op\": \"linear\", \"inputs\": [\"pool\"], \"output\": \"h\","
    "     \"cout\": 16, \"relu\": true },"
    "   { \"name\": \"fc\", \"op\": \"linear\", \"inputs\": [\"h\"], \"output\": \"fc\", \"cout\": 10 }"
    "  ] }", h, w);
  return fb_test_network_from_string (json);
}
