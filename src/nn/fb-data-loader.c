/* fb-data-loader.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-data-loader.h"

#define AUG_PAD 2

struct _FbDataLoader {
  FbDataset        *dataset;
  FbDataLoaderMode  mode;
  guint             batch_size;
  guint             n;
  guint32           seed;
  guint            *perm;
  guint             perm_epoch;
  gboolean          perm_valid;
};

FbDataLoader *
fb_data_loader_new (FbDataset *dataset, FbDataLoaderMode mode, guint batch_size, guint limit,
                    guint32 seed)
{
  FbDataLoader *self;
  guint n = fb_dataset_get_n_images (dataset);

  g_return_val_if_fail (batch_size > 0, NULL);
  self = g_new0 (FbDataLoader, 1);
  self->dataset = fb_dataset_ref (dataset);
  self->mode = mode;
  self->batch_size = batch_size;
  self->n = limit > 0 && limit < n ? limit : n;
  self->seed = seed;
  self->perm = g_new (guint, self->n);
  return self;
}

void
fb_data_loader_free (FbDataLoader *self)
{
  if (self == NULL)
    return;
  fb_dataset_unref (self->dataset);
  g_free (self->perm);
  g_free (self);
}

guint fb_data_loader_get_n_images (FbDataLoader *self) { return self->n; }
guint fb_data_loader_get_batch_size (FbDataLoader *self) { return self->batch_size; }
FbDataset *fb_data_loader_get_dataset (FbDataLoader *self) { return self->dataset; }

guint
fb_data_loader_get_n_batches (FbDataLoader *self)
{
  if (self->mode == FB_DATA_LOADER_EVAL || self->n < self->batch_size)
    return (self->n + self->batch_size - 1) / self->batch_size;
  return self->n / self->batch_size;
}

static void
ensure_perm (FbDataLoader *self, guint epoch)
{
  guint32 seeds[3] = { self->seed, epoch, 0x5eed5eedu };
  GRand *rand;

  if (self->perm_valid && self->perm_epoch == epoch)
    return;
  for (guint i = 0; i < self->n; i++)
    self->perm[i] = i;
  rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
  for (guint i = self->n - 1; i > 0; i--)
    {
      guint j = (guint) g_rand_int_range (rand, 0, (gint32) i + 1);
      guint t = self->perm[i];
      self->perm[i] = self->perm[j];
      self->perm[j] = t;
    }
  g_rand_free (rand);
  self->perm_epoch = epoch;
  self->perm_valid = TRUE;
}

guint
fb_data_loader_fill (FbDataLoader *self, guint epoch, guint step, float *x, guint8 *labels)
{
  guint h = fb_dataset_get_height (self->dataset), w = fb_dataset_get_width (self->dataset);
  guint ch = fb_dataset_get_channels (self->dataset);
  gsize ex = fb_dataset_get_example_size (self->dataset);
  guint first = step * self->batch_size, count;
  gboolean shuffle = self->mode != FB_DATA_LOADER_EVAL;
  gboolean augment = self->mode == FB_DATA_LOADER_TRAIN;
  g_autofree float *img = augment ? g_new (float, ex) : NULL;
  GRand *rand = NULL;

  g_return_val_if_fail (step < fb_data_loader_get_n_batches (self), 0);
  count = MIN (self->batch_size, self->n - first);
  if (shuffle)
    {
      guint32 seeds[4] = { self->seed, epoch, step, 0xa067a067u };
      ensure_perm (self, epoch);
      rand = g_rand_new_with_seed_array (seeds, G_N_ELEMENTS (seeds));
    }

  for (guint b = 0; b < count; b++)
    {
      guint index = shuffle ? self->perm[first + b] : first + b;
      float *dst = x + (gsize) b * ex;

      labels[b] = fb_dataset_get_label (self->dataset, index);
      if (!augment)
        {
          fb_dataset_get_float (self->dataset, index, dst);
          continue;
        }
      fb_dataset_get_float (self->dataset, index, img);
      /* Crop an H×W window at offset (oy, ox) of the image padded by AUG_PAD
       * zeros (real zero) on every side, then maybe mirror it left to right. */
      int oy = g_rand_int_range (rand, -AUG_PAD, AUG_PAD + 1);
      int ox = g_rand_int_range (rand, -AUG_PAD, AUG_PAD + 1);
      gboolean flip = g_rand_boolean (rand);
      for (guint r = 0; r < h; r++)
        {
          int sr = (int) r + oy;
          float *row = dst + (gsize) r * w * ch;
          if (sr < 0 || sr >= (int) h)
            {
              memset (row, 0, (gsize) w * ch * sizeof (float));
              continue;
            }
          for (guint c = 0; c < w; c++)
            {
              int sc = (int) (flip ? w - 1 - c : c) + ox;
              if (sc < 0 || sc >= (int) w)
                memset (row + (gsize) c * ch, 0, ch * sizeof (float));
              else
                memcpy (row + (gsize) c * ch, img + ((gsize) sr * w + sc) * ch, ch * sizeof (float));
            }
        }
    }
  if (rand != NULL)
    g_rand_free (rand);
  return count;
}
