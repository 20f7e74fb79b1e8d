/* fb-app-session.h — what a user has open: a network, its trained weights,
 * a latency table and the data set the accuracy engine measures on.
 *
 * The one place the accuracy oracle and the differentiable search's inputs
 * are made for freebits-cli search and compare, so a data-set choice (a
 * --data option, a chooser in the window) is threaded through once: the data
 * set is a nullable path (NULL: Fashion-MNIST from $FB_FASHION_MNIST_DIR or
 * the system directory, as before).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-accuracy-oracle.h"
#include "fb-dataset.h"
#include "fb-latency-table.h"
#include "fb-weights.h"

G_BEGIN_DECLS

typedef struct _FbAppSession FbAppSession;

FbAppSession     *fb_app_session_new              (FbNetwork      *network);
void              fb_app_session_free             (FbAppSession   *self);

FbNetwork        *fb_app_session_get_network      (FbAppSession   *self);
/* An explicit weights file (--weights); NULL: the one the network names. */
void              fb_app_session_set_weights_path (FbAppSession   *self,
                                                   const char     *path);
/* The explicit file, else the network's, else NULL (no trained weights). */
const char       *fb_app_session_get_weights_path (FbAppSession   *self);
gboolean          fb_app_session_has_explicit_weights (FbAppSession *self);
void              fb_app_session_set_latency_table (FbAppSession  *self,
                                                   FbLatencyTable *table);
FbLatencyTable   *fb_app_session_get_latency_table (FbAppSession  *self);
/* The data set (anything fb_dataset_open() reads: .npz, .npy, IDX, CIFAR
 * batches, image folders, or a directory of those); NULL: the default
 * (Fashion-MNIST). Forgets the parts loaded before. */
void              fb_app_session_set_dataset_path (FbAppSession   *self,
                                                   const char     *path);
const char       *fb_app_session_get_dataset_path (FbAppSession   *self);
/* How the data set is read (--layout, --val-split): the layout of 4-D
 * arrays and, for a one-set source, the fraction (its last examples) that
 * is the test part. Default: auto, 0 (the whole set is both parts). */
void              fb_app_session_set_dataset_options (FbAppSession *self,
                                                   FbDatasetLayout layout,
                                                   double          val_split);

/* What the session's data set holds, for a summary (the window's, or a
 * report's): its parts' sizes, the example shape and the classes. */
typedef struct {
  const char     *path;          /* the file (and array) of the test part */
  guint           n_train;
  guint           n_test;
  guint           height, width, channels;
  gboolean        input_signed;  /* int8 codes rather than uint8 */
  FbDatasetDtype  source_dtype;  /* element type of the file's examples */
  guint           n_classes;     /* 0 for a network whose output is values */
  gboolean        values;        /* targets, not labels */
} FbAppDatasetSummary;

/* Opens the data set's parts (once; then shared) and fills @summary (may be
 * NULL: only checks that the data set opens and fits the network). Every
 * problem of the data set is one FB_ERROR line naming the file. */
gboolean          fb_app_session_open_dataset     (FbAppSession   *self,
                                                   FbAppDatasetSummary *summary,
                                                   GError        **error);
/* "set.npz: x_test: 300 training + 100 test examples, 32×32×3 uint8, 10 classes". */
char             *fb_app_dataset_summary_to_string (const FbAppDatasetSummary *summary);

/* The trained weights (loaded once, then shared). FB_ERROR when there are none. */
FbWeights        *fb_app_session_load_weights     (FbAppSession   *self,
                                                   GError        **error);
/* One part of the session's data set (both parts are opened once, then
 * shared), checked against the network's input and output. */
FbDataset        *fb_app_session_load_dataset     (FbAppSession   *self,
                                                   FbDatasetSplit  split,
                                                   GError        **error);
/* The nn engine on the trained weights. NULL without error when there are
 * no trained weights (no accuracy engine for this network); NULL with @error
 * when the weights or data cannot be read. *@weights_failed (may be NULL)
 * says the weights were the problem (the user's input), not the data set. */
FbAccuracyOracle *fb_app_session_create_oracle    (FbAppSession   *self,
                                                   gboolean       *weights_failed,
                                                   GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbAppSession, fb_app_session_free)

G_END_DECLS
