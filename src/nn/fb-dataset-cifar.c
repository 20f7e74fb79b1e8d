/* fb-dataset-cifar.c — the CIFAR-10 binary version.
 *
 * A batch file is records of 1 label byte and 3072 bytes of a 32×32 RGB
 * image, channel by channel (C×H×W); the directory holds data_batch_1.bin …
 * data_batch_5.bin (training) and test_batch.bin, possibly inside
 * cifar-10-batches-bin/. Examples are converted to HWC once when loaded.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-dataset-private.h"
#include "fb-error.h"

#define CIFAR_SIDE 32
#define CIFAR_IMAGE (3 * CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_RECORD (1 + CIFAR_IMAGE)

static gboolean
is_train_batch (const char *dir, const char *name)
{
  return g_str_has_prefix (name, "data_batch_") && g_str_has_suffix (name, ".bin");
}

static gboolean
is_test_batch (const char *dir, const char *name)
{
  return strcmp (name, "test_batch.bin") == 0;
}

/* The batch files of @dir: data_batch_*.bin (sorted) or test_batch.bin. */
static GPtrArray *
batch_files (const char *dir, gboolean train)
{
  return fb_dataset_list_dir (dir, train ? is_train_batch : is_test_batch, TRUE);
}

/* Where the batches are: @dir or its cifar-10-batches-bin/. */
static char *
batch_dir (const char *dir)
{
  g_autofree char *sub = g_build_filename (dir, "cifar-10-batches-bin", NULL);
  g_autoptr(GPtrArray) a = batch_files (dir, TRUE), b = batch_files (dir, FALSE);

  if (a->len > 0 || b->len > 0)
    return g_strdup (dir);
  return g_file_test (sub, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&sub) : NULL;
}

gboolean
fb_dataset_dir_has_cifar (const char *dir)
{
  g_autofree char *d = batch_dir (dir);
  return d != NULL;
}

/* Concatenates the records of @files (each checked whole) into one set. */
static FbDataset *
load_batches (GPtrArray *files, const FbDatasetSpec *spec, GCancellable *cancellable, GError **error)
{
  g_autoptr(GByteArray) images = g_byte_array_new ();
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *origin = NULL;
  FbDatasetRaw raw = { 0 };

  for (guint f = 0; f < files->len; f++)
    {
      const char *path = files->pdata[f];
      gboolean mapped;
      g_autoptr(GBytes) b = fb_dataset_read_file (path, &mapped, cancellable, error);
      const guint8 *p;
      gsize size;

      if (b == NULL)
        return NULL;
      p = g_bytes_get_data (b, &size);
      if (size % CIFAR_RECORD != 0)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                       _("%s: truncated: %zu bytes is not a whole number of %u-byte "
                         "CIFAR-10 records (1 label byte + 32×32×3 image bytes)"), path, size, CIFAR_RECORD);
          return NULL;
        }
      for (gsize r = 0; r < size / CIFAR_RECORD; r++)
        {
          gint64 l = p[r * CIFAR_RECORD];
          g_array_append_val (labels, l);
          g_byte_array_append (images, p + r * CIFAR_RECORD + 1, CIFAR_IMAGE);
        }
    }
  origin = files->len == 1 ? g_strdup (files->pdata[0])
                           : g_strdup_printf ("%s (and %u more batches)", (char *) files->pdata[0], files->len - 1);
  raw.origin = origin;
  raw.labels_origin = origin;
  raw.dtype = FB_DATASET_DTYPE_U8;
  raw.n = labels->len;
  raw.n_dims = 3;
  raw.dims[0] = 3, raw.dims[1] = CIFAR_SIDE, raw.dims[2] = CIFAR_SIDE;
  raw.chw = TRUE;
  raw.labels = (const gint64 *) labels->data;
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&images));
  raw.bytes = bytes;
  return fb_dataset_build (spec, &raw, error);
}

gboolean
fb_dataset_open_cifar (const char *path, const FbDatasetSpec *spec, FbDataset **train, FbDataset **test,
                       GCancellable *cancellable, GError **error)
{
  g_autofree char *dir = NULL;
  g_autoptr(GPtrArray) trf = NULL, tef = NULL;
  g_autoptr(FbDataset) tr = NULL, te = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      /* One batch file: one set. */
      g_autoptr(GPtrArray) one = g_ptr_array_new ();
      FbDataset *all;
      g_ptr_array_add (one, (gpointer) path);
      all = load_batches (one, spec, cancellable, error);
      if (all == NULL)
        return FALSE;
      fb_dataset_assign_parts (all, spec, train, test);
      return TRUE;
    }
  dir = batch_dir (path);
  trf = batch_files (dir, TRUE);
  tef = batch_files (dir, FALSE);
  if (trf->len == 0 || tef->len == 0)
    {
      FbDataset *all = load_batches (trf->len > 0 ? trf : tef, spec, cancellable, error);
      if (all == NULL)
        return FALSE;
      fb_dataset_assign_parts (all, spec, train, test);
      return TRUE;
    }
  if (test != NULL && (te = load_batches (tef, spec, cancellable, error)) == NULL)
    return FALSE;
  if (train != NULL && (tr = load_batches (trf, spec, cancellable, error)) == NULL)
    return FALSE;
  if (train != NULL)
    *train = g_steal_pointer (&tr);
  if (test != NULL)
    *test = g_steal_pointer (&te);
  return TRUE;
}
