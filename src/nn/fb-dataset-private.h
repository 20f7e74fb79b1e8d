/* fb-dataset-private.h — what the dataset loaders share (not installed).
 *
 * Every loader reads its file into an FbDatasetRaw (the examples as the file
 * stores them, plus integer labels) and hands it to fb_dataset_build(),
 * which does every check against the spec and the conversion to input
 * codes once, so all formats report problems the same way.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-dataset.h"

G_BEGIN_DECLS

typedef struct {
  const char     *origin;       /* "FILE" or "FILE: ARRAY", for messages */
  FbDatasetDtype  dtype;
  gboolean        big_endian;   /* float32 data (IDX is big-endian) */
  GBytes         *bytes;        /* holds the data (mapped or owned) */
  gsize           offset;       /* of the first example in @bytes */
  guint           n;            /* examples */
  guint           n_dims;       /* per-example dimensions, 1 to 3 */
  guint           dims[3];
  gboolean        chw;          /* stored C×H×W whatever the spec's layout says (CIFAR) */
  gboolean        mapped;       /* @bytes is a memory-mapped file */
  /* Labels (NULL for a values dataset without them): n integers. */
  const gint64   *labels;
  const char     *labels_origin;
  /* output_kind values: n × n_targets floats, or NULL (target = input). */
  const float    *targets;
  guint           n_targets;
} FbDatasetRaw;

/* Checks @raw against @spec and makes the dataset: shape (and layout),
 * dtype against the input's signedness, labels against the classes, not
 * empty. One FB_ERROR line naming raw->origin on failure. */
FbDataset    *fb_dataset_build               (const FbDatasetSpec *spec,
                                              const FbDatasetRaw  *raw,
                                              GError             **error);

/* Names the classes (@names: label order); before the dataset is shared. */
void          fb_dataset_set_class_names     (FbDataset           *self,
                                              GPtrArray           *names);

/* The whole file, memory-mapped when it is plain, decompressed in memory
 * when it starts with the gzip magic; *@mapped says which. */
GBytes       *fb_dataset_read_file           (const char          *path,
                                              gboolean            *mapped,
                                              GCancellable        *cancellable,
                                              GError             **error);
/* A GIO error about @path as one FB_ERROR_IO line naming it. */
void          fb_dataset_set_io_error        (GError             **error,
                                              const char          *path,
                                              GError              *local);

/* The loaders behind fb_dataset_open(). @path is a file or directory of
 * their kind (fb_dataset_open() decides which). */
gboolean      fb_dataset_open_numpy          (const char          *path,
                                              const FbDatasetSpec *spec,
                                              FbDataset          **train,
                                              FbDataset          **test,
                                              GCancellable        *cancellable,
                                              GError             **error);
gboolean      fb_dataset_open_cifar          (const char          *path,
                                              const FbDatasetSpec *spec,
                                              FbDataset          **train,
                                              FbDataset          **test,
                                              GCancellable        *cancellable,
                                              GError             **error);
gboolean      fb_dataset_open_images         (const char          *path,
                                              const FbDatasetSpec *spec,
                                              FbDataset          **train,
                                              FbDataset          **test,
                                              GCancellable        *cancellable,
                                              GError             **error);
/* Whether @dir looks like one of the directory kinds. */
gboolean      fb_dataset_dir_has_numpy       (const char          *dir);
gboolean      fb_dataset_dir_has_cifar       (const char          *dir);

/* Whether the entry @name of @dir is wanted (fb_dataset_list_dir). */
typedef gboolean (*FbDatasetNameFilter) (const char *dir, const char *name);
/* The entries of @dir that @keep accepts (NULL: all; none when @dir cannot be read), in
 * byte order of their names: as paths under @dir when @paths, else as names. */
GPtrArray    *fb_dataset_list_dir            (const char          *dir,
                                              FbDatasetNameFilter  keep,
                                              gboolean             paths);

/* A one-set source as both parts, or split by spec->val_split. Takes @all. */
void          fb_dataset_assign_parts        (FbDataset           *all,
                                              const FbDatasetSpec *spec,
                                              FbDataset          **train,
                                              FbDataset          **test);

G_END_DECLS
