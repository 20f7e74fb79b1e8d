/* fb-dataset.h — labelled u8 images read from IDX files (MNIST / Fashion-MNIST).
 *
 * Images stay u8 in memory (47 MB for the Fashion-MNIST training set as u8,
 * four times that as float); the network input is the raw pixel scaled by
 * 1/255 with zero point 0 (CONVENTIONS.md), so conversion happens per batch.
 * A dataset is immutable and reference counted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _FbDataset FbDataset;

typedef enum {
  FB_DATASET_TRAIN,
  FB_DATASET_TEST,
} FbDatasetSplit;

/* Where Debian's dataset-fashion-mnist installs the IDX files. */
#define FB_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
#define FB_FASHION_MNIST_PACKAGE "dataset-fashion-mnist"

/* Reads an idx3 u8 image file and an idx1 u8 label file, gzip-compressed
 * (detected by its magic bytes) or plain. Errors name the file. */
FbDataset    *fb_dataset_load_idx            (const char     *images_path,
                                              const char     *labels_path,
                                              guint           n_classes,
                                              GCancellable   *cancellable,
                                              GError        **error);
/* One split of Fashion-MNIST from @dir (NULL: $FB_FASHION_MNIST_DIR, else
 * FB_FASHION_MNIST_DIR). A missing file names the package to install. */
FbDataset    *fb_dataset_load_fashion_mnist  (const char     *dir,
                                              FbDatasetSplit  split,
                                              GCancellable   *cancellable,
                                              GError        **error);

FbDataset    *fb_dataset_ref                 (FbDataset      *self);
void          fb_dataset_unref               (FbDataset      *self);

guint         fb_dataset_get_n_images        (FbDataset      *self);
guint         fb_dataset_get_height          (FbDataset      *self);
guint         fb_dataset_get_width           (FbDataset      *self);
guint         fb_dataset_get_n_classes       (FbDataset      *self);
/* Row-major H×W bytes of image @index. */
const guint8 *fb_dataset_get_image           (FbDataset      *self,
                                              guint           index);
guint8        fb_dataset_get_label           (FbDataset      *self,
                                              guint           index);
/* The images file, for messages. */
const char   *fb_dataset_get_path            (FbDataset      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbDataset, fb_dataset_unref)

G_END_DECLS
