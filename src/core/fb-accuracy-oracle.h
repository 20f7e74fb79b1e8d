/* fb-accuracy-oracle.h — config → measured accuracy, behind one interface.
 *
 * Searches and the GUI ask an oracle for the accuracy of a precision config
 * without knowing where it comes from: the nn engine (integer evaluation of
 * a trained supernet, src/nn), an imported accuracy table, or nothing. This
 * keeps src/search independent of src/nn (ARCHITECTURE.md).
 *
 * An oracle is reference-counted and thread-safe: a worker thread may call
 * evaluate() while the main thread holds a reference.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-precision-config.h"

G_BEGIN_DECLS

typedef struct _FbAccuracyOracle      FbAccuracyOracle;
typedef struct _FbAccuracyOracleClass FbAccuracyOracleClass;

struct _FbAccuracyOracleClass {
  const char *name;   /* "nn", "table", ... for provenance */
  /* Accuracy as a fraction in [0, 1] of @config on the first @limit test
   * images (0 = the whole test set). Must honour @cancellable
   * (G_IO_ERROR_CANCELLED) and be callable from any thread. */
  gboolean (*evaluate)  (FbAccuracyOracle   *self,
                         FbPrecisionConfig  *config,
                         guint               limit,
                         GCancellable       *cancellable,
                         double             *accuracy,
                         GError            **error);
  /* Expected seconds for one evaluate() with @limit, so a search can decide
   * how many evaluations it can afford; may be NULL (cheap). */
  double   (*cost_hint) (FbAccuracyOracle   *self,
                         guint               limit);
  void     (*finalize)  (FbAccuracyOracle   *self);
  /* Optional: evaluate() of each of @n configs into @accuracy[], with the
   * same results, sharing work between them and running them in parallel
   * as the implementation sees fit; @progress (may be NULL) is called on
   * the calling thread. NULL: one evaluate() after the other. */
  gboolean (*evaluate_many) (FbAccuracyOracle   *self,
                             FbPrecisionConfig **configs,
                             guint               n,
                             guint               limit,
                             void              (*progress) (guint done, guint n, gpointer data),
                             gpointer            progress_data,
                             GCancellable       *cancellable,
                             double             *accuracy,
                             GError            **error);
};

/* Implementations embed this struct first. */
struct _FbAccuracyOracle {
  const FbAccuracyOracleClass *klass;
  gint                         ref_count;
  FbNetwork                   *network;   /* strong reference */
  guint                        default_limit;
};

/* For implementations: fills the base part (ref_count 1, refs @network). */
void              fb_accuracy_oracle_init      (FbAccuracyOracle            *self,
                                                const FbAccuracyOracleClass *klass,
                                                FbNetwork                   *network);

FbAccuracyOracle *fb_accuracy_oracle_ref       (FbAccuracyOracle   *self);
void              fb_accuracy_oracle_unref     (FbAccuracyOracle   *self);

/* The config must belong to the oracle's network (FB_ERROR_MISMATCH). */
gboolean          fb_accuracy_oracle_evaluate  (FbAccuracyOracle   *self,
                                                FbPrecisionConfig  *config,
                                                guint               limit,
                                                GCancellable       *cancellable,
                                                double             *accuracy,
                                                GError            **error);
/* The accuracies of @n configs (each as fb_accuracy_oracle_evaluate() would
 * give it) into @accuracy[]; faster than one call per config where the
 * oracle shares work between configs (the nn engine: batch-norm
 * recalibration of common prefixes, configs in parallel). @progress (may be
 * NULL) reports configs done, on the calling thread. */
gboolean          fb_accuracy_oracle_evaluate_many (FbAccuracyOracle   *self,
                                                FbPrecisionConfig **configs,
                                                guint               n,
                                                guint               limit,
                                                void              (*progress) (guint done, guint n, gpointer data),
                                                gpointer            progress_data,
                                                GCancellable       *cancellable,
                                                double             *accuracy,
                                                GError            **error);
double            fb_accuracy_oracle_cost_hint (FbAccuracyOracle   *self,
                                                guint               limit);
const char       *fb_accuracy_oracle_get_name  (FbAccuracyOracle   *self);
FbNetwork        *fb_accuracy_oracle_get_network (FbAccuracyOracle *self);
/* The limit used when a caller has no opinion (e.g. 1000 images). */
guint             fb_accuracy_oracle_get_default_limit (FbAccuracyOracle *self);
void              fb_accuracy_oracle_set_default_limit (FbAccuracyOracle *self,
                                                        guint             limit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbAccuracyOracle, fb_accuracy_oracle_unref)

G_END_DECLS
