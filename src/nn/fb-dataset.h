/* fb-dataset.h — labelled examples in the network's integer input format.
 *
 * An example is H×W×C (HWC; a 1-D input [N] is 1×1×N) of 8-bit input codes:
 * u8 for an unsigned network input, i8 (stored in the same bytes) for a
 * signed one. The real value of a code q is (q − zero_point) · scale, the
 * network's input description (default: u8 pixels, 1/255, 0 as in
 * CONVENTIONS.md). Integer sources (u8 / i8 arrays, images, IDX, CIFAR) are
 * those codes as they are, so their signedness must match the network's;
 * float32 sources are real values, quantized once when loaded:
 * q = clamp(round(x / scale) + zero_point), ties to even as
 * fb_int_network_quantize_input(). So the float trainer and the
 * integer network see exactly the same inputs, and the dataset stays 8-bit in
 * memory (memory-mapped, not copied, when the file holds HWC codes as they
 * are: .npy, stored .npz members, plain IDX).
 *
 * Sources (fb_dataset_open()): NumPy .npz / .npy, IDX (any shape, any number
 * of classes, plain or gzip), the CIFAR-10 binary batches, a folder of image
 * folders per class (PNG / JPEG through gdk-pixbuf); and Fashion-MNIST, the
 * embedded default. Labels are below 256 (the trainer's labels are bytes).
 * A dataset is immutable and reference counted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-network.h"

G_BEGIN_DECLS

typedef struct _FbDataset FbDataset;

typedef enum {
  FB_DATASET_TRAIN,
  FB_DATASET_TEST,
} FbDatasetSplit;

/* Element type of the source array (the dataset itself holds 8-bit codes). */
typedef enum {
  FB_DATASET_DTYPE_U8,
  FB_DATASET_DTYPE_I8,
  FB_DATASET_DTYPE_F32,
} FbDatasetDtype;

typedef enum {
  FB_DATASET_LAYOUT_AUTO,   /* NHWC, or NCHW when only that matches the network */
  FB_DATASET_LAYOUT_NHWC,
  FB_DATASET_LAYOUT_NCHW,
} FbDatasetLayout;

/* What the examples must look like: the network's input and output. */
typedef struct {
  guint            h, w, c;          /* example shape; all 0: taken from the source */
  gboolean         input_signed;     /* input codes on [-128, 127] rather than [0, 255] */
  double           input_scale;      /* real value of one input unit */
  gint             input_zero_point;
  guint            n_classes;        /* labels must be below it; 0: largest label + 1 */
  gboolean         values;           /* output_kind "values": targets, no labels needed */
  guint            n_values;         /* values: length of the network's output */
  FbDatasetLayout  layout;
  double           val_split;        /* one-set sources: this fraction (last examples) is the test part */
  const char      *network_name;     /* for messages; may be NULL */
} FbDatasetSpec;

/* "nhwc", "nchw" or "auto" (NULL: auto); FALSE for anything else. */
gboolean      fb_dataset_layout_from_string  (const char     *name,
                                              FbDatasetLayout *layout);

/* Defaults: any shape, u8 input 1/255, 0; classes from the labels. */
void          fb_dataset_spec_init           (FbDatasetSpec  *spec);
/* @network's input shape, input description, classes / output kind. */
void          fb_dataset_spec_init_for_network (FbDatasetSpec *spec,
                                              FbNetwork      *network);

/* Where Debian's dataset-fashion-mnist installs the IDX files. */
#define FB_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
#define FB_FASHION_MNIST_PACKAGE "dataset-fashion-mnist"

/* Opens the dataset at @path (NULL: Fashion-MNIST from $FB_FASHION_MNIST_DIR
 * or FB_FASHION_MNIST_DIR): a .npz, .npy (its labels in the y… file next to
 * the x… one), IDX images file, CIFAR .bin file, or a directory holding
 * x_train.npy…, IDX files (train-/t10k-/test-images-…), CIFAR batches
 * (data_batch_*.bin, test_batch.bin) or one image folder per class (or train/
 * and test/ folders of those). Loads the parts asked for (@train / @test may
 * be NULL). A one-set source is both parts, or split by spec->val_split.
 * Every problem is one FB_ERROR message naming the file. */
gboolean      fb_dataset_open                (const char          *path,
                                              const FbDatasetSpec *spec,
                                              FbDataset          **train,
                                              FbDataset          **test,
                                              GCancellable        *cancellable,
                                              GError             **error);

/* Reads an IDX images file (u8, i8 or float32 data; N × example dims) and
 * an IDX labels file (N integers), gzip-compressed (detected by its magic
 * bytes) or plain, with @spec's checks (NULL: defaults). */
FbDataset    *fb_dataset_load_idx_spec       (const char          *images_path,
                                              const char          *labels_path,
                                              const FbDatasetSpec *spec,
                                              GCancellable        *cancellable,
                                              GError             **error);
/* The same with @n_classes classes and default checks. */
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

/* Examples @first .. @first + @n − 1 of @self, sharing its memory. */
FbDataset    *fb_dataset_slice               (FbDataset      *self,
                                              guint           first,
                                              guint           n);

FbDataset    *fb_dataset_ref                 (FbDataset      *self);
void          fb_dataset_unref               (FbDataset      *self);

guint         fb_dataset_get_n_images        (FbDataset      *self);
guint         fb_dataset_get_height          (FbDataset      *self);
guint         fb_dataset_get_width           (FbDataset      *self);
guint         fb_dataset_get_channels        (FbDataset      *self);
/* H × W × C. */
gsize         fb_dataset_get_example_size    (FbDataset      *self);
guint         fb_dataset_get_n_classes       (FbDataset      *self);
FbDatasetDtype fb_dataset_get_source_dtype   (FbDataset      *self);
const char   *fb_dataset_dtype_to_string     (FbDatasetDtype  dtype);
gboolean      fb_dataset_get_input_signed    (FbDataset      *self);
double        fb_dataset_get_input_scale     (FbDataset      *self);
gint          fb_dataset_get_input_zero_point (FbDataset     *self);
/* Whether the examples are memory-mapped from the file. */
gboolean      fb_dataset_is_mapped           (FbDataset      *self);
/* HWC input codes of example @index (int8 when the input is signed). */
const guint8 *fb_dataset_get_image           (FbDataset      *self,
                                              guint           index);
/* Example @index as the real values the integer network sees. */
void          fb_dataset_get_float           (FbDataset      *self,
                                              guint           index,
                                              float          *dst);
guint8        fb_dataset_get_label           (FbDataset      *self,
                                              guint           index);
/* Targets for output_kind "values": a y array of n_values per example, or
 * NULL when the target is the example itself (a reconstruction). */
const float  *fb_dataset_get_targets         (FbDataset      *self,
                                              guint           index);
guint         fb_dataset_get_n_targets       (FbDataset      *self);
/* The name of class @c (an image folder's name), or NULL when the source
 * has none. */
const char   *fb_dataset_get_class_name      (FbDataset      *self,
                                              guint           c);
/* The file (and array) the examples came from, for messages. */
const char   *fb_dataset_get_path            (FbDataset      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbDataset, fb_dataset_unref)

G_END_DECLS
