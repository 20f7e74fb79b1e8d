/* fb-dataset.c
 *
 * IDX format (LeCun): a big-endian u32 magic 0x000008DD (0x08 = u8 data,
 * DD = number of dimensions), DD big-endian u32 sizes, then the data.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-dataset.h"
#include "fb-error.h"

struct _FbDataset {
  gatomicrefcount  ref;
  char            *path;
  guint            n, h, w, n_classes;
  guint8          *pixels;   /* n × h × w */
  guint8          *labels;   /* n */
};

/* Largest accepted dimension: far above any IDX dataset, low enough that
 * n × h × w cannot overflow a gsize on 64-bit hosts. */
#define IDX_MAX_DIM (1u << 24)

static void
fb_dataset_free (FbDataset *self)
{
  g_free (self->path);
  g_free (self->pixels);
  g_free (self->labels);
  g_free (self);
}

FbDataset *
fb_dataset_ref (FbDataset *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_dataset_unref (FbDataset *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref))
    fb_dataset_free (self);
}

/* Opens @path for reading, transparently gunzipping when it starts with the
 * gzip magic, so tests can write plain IDX files. */
static GInputStream *
open_maybe_gzip (const char *path, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInputStream) raw = NULL;
  g_autoptr(GInputStream) buffered = NULL;
  g_autoptr(GError) local = NULL;
  const guint8 *peek;
  gsize avail = 0;

  raw = g_file_read (file, cancellable, &local);
  if (raw == NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else if (strstr (local->message, path) != NULL)   /* GIO's message names the file */
        g_set_error_literal (error, FB_ERROR, FB_ERROR_IO, local->message);
      else
        g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", path, local->message);
      return NULL;
    }
  buffered = g_buffered_input_stream_new (G_INPUT_STREAM (raw));
  if (g_buffered_input_stream_fill (G_BUFFERED_INPUT_STREAM (buffered), 2, cancellable, &local) < 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: %s", path, local->message);
      return NULL;
    }
  peek = g_buffered_input_stream_peek_buffer (G_BUFFERED_INPUT_STREAM (buffered), &avail);
  if (avail >= 2 && peek[0] == 0x1f && peek[1] == 0x8b)
    {
      g_autoptr(GZlibDecompressor) gz = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      return g_converter_input_stream_new (buffered, G_CONVERTER (gz));
    }
  return g_steal_pointer (&buffered);
}

/* Reads exactly @size bytes; a short read is a truncated file. */
static gboolean
read_exact (GInputStream *in, void *buf, gsize size, const char *path, const char *what,
            GCancellable *cancellable, GError **error)
{
  g_autoptr(GError) local = NULL;
  gsize got = 0;

  if (!g_input_stream_read_all (in, buf, size, &got, cancellable, &local))
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local));
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
        g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                     "%s: truncated: the compressed stream ends inside %s", path, what);
      else if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
        g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, "%s: corrupted compressed data in %s: %s",
                     path, what, local->message);
      else
        g_set_error (error, FB_ERROR, FB_ERROR_IO, "%s: reading %s: %s", path, what, local->message);
      return FALSE;
    }
  if (got != size)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   "%s: truncated: %" G_GSIZE_FORMAT " bytes expected for %s, only %" G_GSIZE_FORMAT
                   " present", path, size, what, got);
      return FALSE;
    }
  return TRUE;
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* Reads one IDX file of u8 data with @n_dims dimensions into @dims and a
 * newly allocated buffer. */
static guint8 *
read_idx (const char *path, guint n_dims, guint32 *dims, GCancellable *cancellable, GError **error)
{
  g_autoptr(GInputStream) in = NULL;
  g_autofree guint8 *data = NULL;
  guint8 header[4 + 4 * 3];
  guint8 extra;
  gsize size = 1, got = 0;
  guint32 magic;

  g_assert (n_dims >= 1 && n_dims <= 3);
  in = open_maybe_gzip (path, cancellable, error);
  if (in == NULL)
    return NULL;
  /* The magic first, so a file of the wrong kind is named as such even when
   * it is shorter than the header we expect. */
  if (!read_exact (in, header, 4, path, "the IDX magic number", cancellable, error))
    return NULL;
  magic = be32 (header);
  if (magic != (0x0800u | n_dims))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   "%s: not an IDX file of u8 data with %u dimensions "
                   "(magic 0x%08x, expected 0x%08x)",
                   path, n_dims, magic, 0x0800u | n_dims);
      return NULL;
    }
  if (!read_exact (in, header + 4, 4 * n_dims, path, "the IDX dimensions", cancellable, error))
    return NULL;
  for (guint i = 0; i < n_dims; i++)
    {
      dims[i] = be32 (header + 4 + 4 * i);
      if (dims[i] == 0 || dims[i] > IDX_MAX_DIM)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                       "%s: dimension %u is %u, expected 1 to %u", path, i, dims[i], IDX_MAX_DIM);
          return NULL;
        }
      size *= dims[i];
    }
  if (size > G_MAXSIZE / 2 || (n_dims == 3 && (guint64) dims[1] * dims[2] > 4096 * 4096))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT, "%s: implausibly large dimensions", path);
      return NULL;
    }
  data = g_malloc (size);
  if (!read_exact (in, data, size, path, "the data the header declares", cancellable, error))
    return NULL;
  /* Trailing bytes mean the header and the data disagree: refuse rather than guess. */
  if (g_input_stream_read_all (in, &extra, 1, &got, cancellable, NULL) && got != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   "%s: trailing bytes after the %" G_GSIZE_FORMAT " bytes of data the header declares",
                   path, size);
      return NULL;
    }
  return g_steal_pointer (&data);
}

FbDataset *
fb_dataset_load_idx (const char *images_path, const char *labels_path, guint n_classes,
                     GCancellable *cancellable, GError **error)
{
  g_autoptr(FbDataset) self = NULL;
  guint32 idims[3], ldims[1];

  g_return_val_if_fail (images_path != NULL && labels_path != NULL, NULL);
  g_return_val_if_fail (n_classes >= 2 && n_classes <= 256, NULL);

  self = g_new0 (FbDataset, 1);
  g_atomic_ref_count_init (&self->ref);
  self->path = g_strdup (images_path);
  self->n_classes = n_classes;

  self->pixels = read_idx (images_path, 3, idims, cancellable, error);
  if (self->pixels == NULL)
    return NULL;
  self->labels = read_idx (labels_path, 1, ldims, cancellable, error);
  if (self->labels == NULL)
    return NULL;
  if (ldims[0] != idims[0])
    {
      g_set_error (error, FB_ERROR, FB_ERROR_SHAPE, "%s: %u labels, but %s has %u images",
                   labels_path, ldims[0], images_path, idims[0]);
      return NULL;
    }
  for (guint i = 0; i < ldims[0]; i++)
    if (self->labels[i] >= n_classes)
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     "%s: label %u of image %u is out of range (%u classes)",
                     labels_path, self->labels[i], i, n_classes);
        return NULL;
      }
  self->n = idims[0];
  self->h = idims[1];
  self->w = idims[2];
  return g_steal_pointer (&self);
}

FbDataset *
fb_dataset_load_fashion_mnist (const char *dir, FbDatasetSplit split,
                               GCancellable *cancellable, GError **error)
{
  const char *prefix = split == FB_DATASET_TRAIN ? "train" : "t10k";
  g_autofree char *images_name = g_strdup_printf ("%s-images-idx3-ubyte.gz", prefix);
  g_autofree char *labels_name = g_strdup_printf ("%s-labels-idx1-ubyte.gz", prefix);
  g_autofree char *images = NULL, *labels = NULL;

  if (dir == NULL)
    dir = g_getenv ("FB_FASHION_MNIST_DIR");
  if (dir == NULL)
    dir = FB_FASHION_MNIST_DIR;
  images = g_build_filename (dir, images_name, NULL);
  labels = g_build_filename (dir, labels_name, NULL);

  /* Check both files first so the message is about the missing package,
   * not a generic "no such file". */
  for (guint i = 0; i < 2; i++)
    {
      const char *p = i == 0 ? images : labels;
      if (!g_file_test (p, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_IO,
                       "%s: no such file: the Fashion-MNIST data set is missing; install the "
                       "Debian package %s (apt install %s) or set FB_FASHION_MNIST_DIR",
                       p, FB_FASHION_MNIST_PACKAGE, FB_FASHION_MNIST_PACKAGE);
          return NULL;
        }
    }
  return fb_dataset_load_idx (images, labels, 10, cancellable, error);
}

guint fb_dataset_get_n_images (FbDataset *self) { return self->n; }
guint fb_dataset_get_height (FbDataset *self) { return self->h; }
guint fb_dataset_get_width (FbDataset *self) { return self->w; }
guint fb_dataset_get_n_classes (FbDataset *self) { return self->n_classes; }
const char *fb_dataset_get_path (FbDataset *self) { return self->path; }

const guint8 *
fb_dataset_get_image (FbDataset *self, guint index)
{
  g_return_val_if_fail (index < self->n, NULL);
  return self->pixels + (gsize) index * self->h * self->w;
}

guint8
fb_dataset_get_label (FbDataset *self, guint index)
{
  g_return_val_if_fail (index < self->n, 0);
  return self->labels[index];
}
