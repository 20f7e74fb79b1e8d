/* fuzz-dataset.c — the dataset loaders of src/nn/fb-dataset*.c (.npz, .npy
 * pair, IDX images + labels, CIFAR .bin) on arbitrary bytes. They read files
 * (mapped or streamed), so the bytes go to files in a private temp directory.
 *
 * Input layout: byte 0 picks the kind (mod 4: npz, npy pair, IDX pair, CIFAR),
 * bytes 1–2 (little-endian) the length of the first file of a pair, the rest
 * is the file(s).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib/gstdio.h>

#include "fb-dataset.h"
#include "fuzz-common.h"

static const char *
fuzz_dir (void)
{
  static char *dir;

  if (dir == NULL)
    {
      g_autoptr(GError) error = NULL;
      dir = g_dir_make_tmp ("fuzz-dataset-XXXXXX", &error);
      if (dir == NULL)
        {
          g_printerr ("%s\n", error->message);
          abort ();
        }
    }
  return dir;
}

static char *
put (const char *name, const uint8_t *data, size_t size)
{
  char *path = g_build_filename (fuzz_dir (), name, NULL);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, (const char *) data, (gssize) size, &error))
    {
      g_printerr ("%s\n", error->message);
      abort ();
    }
  return path;
}

static void
check (gboolean ok, FbDataset *train, FbDataset *test, const GError *error)
{
  if (!ok && error == NULL)
    {
      g_printerr ("load failed without an error\n");
      abort ();
    }
  fuzz_check_error (error);
  /* What loaded (train and test may be the same dataset) is readable end to end. */
  FbDataset *parts[] = { train, test };

  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    for (guint i = 0; parts[p] != NULL && i < fb_dataset_get_n_images (parts[p]); i++)
      {
        FbDataset *d = parts[p];
        volatile guint8 sink = fb_dataset_get_label (d, i);
        if (fb_dataset_get_example_size (d) > 0)
          sink ^= fb_dataset_get_image (d, i)[fb_dataset_get_example_size (d) - 1];
        (void) sink;
      }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const first[] = { "d.npz", "x.npy", "train-images-idx3-ubyte", "data_batch_1.bin" };
  static const char *const second[] = { NULL, "y.npy", "train-labels-idx1-ubyte", NULL };
  FbDatasetSpec spec;
  g_autoptr(GError) error = NULL;
  g_autoptr(FbDataset) train = NULL;
  g_autoptr(FbDataset) test = NULL;
  g_autofree char *a = NULL, *b = NULL;
  guint kind;
  size_t split;
  gboolean ok;

  if (size < 3)
    return 0;
  kind = data[0] % 4;
  split = MIN ((size_t) (data[1] | data[2] << 8), size - 3);
  data += 3;
  size -= 3;
  if (second[kind] == NULL)
    split = size;
  a = put (first[kind], data, split);
  if (second[kind] != NULL)
    b = put (second[kind], data + split, size - split);

  fb_dataset_spec_init (&spec);
  if (kind == 2)
    {
      train = fb_dataset_load_idx_spec (a, b, &spec, NULL, &error);
      ok = train != NULL;
    }
  else
    ok = fb_dataset_open (a, &spec, &train, &test, NULL, &error);
  check (ok, train, test, error);
  g_unlink (a);
  if (b != NULL)
    g_unlink (b);
  return 0;
}
