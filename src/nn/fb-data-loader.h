/* fb-data-loader.h — deterministic batches of an FbDataset as float NHWC.
 *
 * A batch is a pure function of (seed, epoch, step): the epoch's permutation
 * comes from a GRand seeded with (seed, epoch), a batch's augmentation from
 * one seeded with (seed, epoch, step). So training resumed from a checkpoint
 * in the middle of an epoch sees exactly the batches it would have seen.
 *
 * Examples become the real values the integer network sees
 * (fb_dataset_get_float(): (q − zero point) · scale; u8 pixels: p / 255), so
 * the zero padding of the augmentation and of the convolutions is the
 * integer network's zero.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-dataset.h"

G_BEGIN_DECLS

typedef struct _FbDataLoader FbDataLoader;

typedef enum {
  /* In order, every image, last batch possibly short; no augmentation. */
  FB_DATA_LOADER_EVAL,
  /* Shuffled per epoch, random crop (2-pixel zero padding) and horizontal
   * flip; incomplete last batch dropped so batch-norm statistics never come
   * from a handful of images. */
  FB_DATA_LOADER_TRAIN,
  /* Shuffled per epoch like TRAIN, without augmentation. */
  FB_DATA_LOADER_SHUFFLE,
} FbDataLoaderMode;

/* Uses the first @limit images (0: all). */
FbDataLoader *fb_data_loader_new            (FbDataset        *dataset,
                                             FbDataLoaderMode  mode,
                                             guint             batch_size,
                                             guint             limit,
                                             guint32           seed);
void          fb_data_loader_free           (FbDataLoader     *self);

guint         fb_data_loader_get_n_images   (FbDataLoader     *self);
guint         fb_data_loader_get_n_batches  (FbDataLoader     *self);
guint         fb_data_loader_get_batch_size (FbDataLoader     *self);
FbDataset    *fb_data_loader_get_dataset    (FbDataLoader     *self);

/* Writes batch @step of @epoch: @x gets n × H × W × C floats (HWC),
 * @labels n bytes; returns n. Not reentrant (caches the permutation). */
guint         fb_data_loader_fill           (FbDataLoader     *self,
                                             guint             epoch,
                                             guint             step,
                                             float            *x,
                                             guint8           *labels);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbDataLoader, fb_data_loader_free)

G_END_DECLS
