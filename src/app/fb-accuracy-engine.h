/* fb-accuracy-engine.h — measured accuracy for the window, never on the main loop.
 *
 * Wraps an FbAccuracyOracle (src/core/fb-accuracy-oracle.h) with what the GUI
 * needs around it:
 * - loading: finding the network's trained weights (its "weights" field, else
 *   <name>.fbw next to the network file, else <name>-float.fbw), loading them
 *   and the Fashion-MNIST data set and creating the nn oracle (FbNnOracle), all
 *   in a worker thread (the data set alone takes about a second to read);
 * - a queue of evaluations run one at a time in a worker thread: one "current"
 *   request (the config shown in the summary; rapid edits are coalesced and a
 *   stale running evaluation is cancelled) before any number of background
 *   requests (the uniform baselines); a running background evaluation is
 *   stopped and queued again when a current request comes, and background
 *   work waits while the current request waits out its quiet time, so the
 *   config on screen never waits for a baseline;
 * - a cache of the results, read on the main thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-accuracy-oracle.h"
#include "fb-dataset.h"
#include "fb-weights.h"

G_BEGIN_DECLS

#define FB_TYPE_ACCURACY_ENGINE (fb_accuracy_engine_get_type ())
G_DECLARE_FINAL_TYPE (FbAccuracyEngine, fb_accuracy_engine, FB, ACCURACY_ENGINE, GObject)

/* Why an engine could not be made (FB_ACCURACY_ENGINE_ERROR). */
typedef enum {
  FB_ACCURACY_ENGINE_ERROR_NO_WEIGHTS,  /* no trained weights for the network */
  FB_ACCURACY_ENGINE_ERROR_NO_DATASET,  /* Fashion-MNIST is not installed */
  FB_ACCURACY_ENGINE_ERROR_FAILED,      /* weights or data unreadable, oracle failed */
} FbAccuracyEngineError;

#define FB_ACCURACY_ENGINE_ERROR (fb_accuracy_engine_error_quark ())
GQuark            fb_accuracy_engine_error_quark   (void);

/* The weights file of @network by the rule above, or NULL. @tried (may be
 * NULL) receives the paths looked at, for the message when none exists. */
char             *fb_accuracy_engine_find_weights  (FbNetwork          *network,
                                                    GPtrArray          *tried);
/* The Fashion-MNIST directory: @dir if not NULL, else $FB_FASHION_MNIST_DIR,
 * else the system one (FB_FASHION_MNIST_DIR). */
const char       *fb_accuracy_engine_get_dataset_dir (const char       *dir);

/* Finds the weights and checks the data set (in @dataset_dir, NULL: the
 * default) on the calling thread (cheap file tests, so "not installed" is
 * known at once), then loads and creates the oracle in a worker thread. */
void              fb_accuracy_engine_load_async    (FbNetwork          *network,
                                                    const char         *dataset_dir,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
/* The same on a user data set (@dataset_path: anything fb_dataset_open()
 * reads, opened through FbAppSession with @layout and @val_split); NULL:
 * Fashion-MNIST in @dataset_dir as above. Finish with load_finish(). */
void              fb_accuracy_engine_load_dataset_async (FbNetwork     *network,
                                                    const char         *dataset_dir,
                                                    const char         *dataset_path,
                                                    FbDatasetLayout     layout,
                                                    double              val_split,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
FbAccuracyEngine *fb_accuracy_engine_load_finish   (GAsyncResult       *result,
                                                    GError            **error);

/* For tests: every oracle an engine loads is passed through @wrap (on the
 * loading thread, once the engine has taken the weights from it; returns a
 * new reference, e.g. an oracle that delegates to it and holds evaluations
 * until the test lets them go). NULL: as loaded. Set it before the load. */
typedef FbAccuracyOracle *(*FbAccuracyEngineWrapFunc) (FbAccuracyOracle *oracle,
                                                       gpointer          user_data);
void              fb_accuracy_engine_set_load_wrap (FbAccuracyEngineWrapFunc wrap,
                                                    gpointer            user_data);

/* An engine around any oracle (tests, an imported table). Without data set
 * and weights it measures but cannot feed an export. */
FbAccuracyEngine *fb_accuracy_engine_new           (FbAccuracyOracle   *oracle);

FbAccuracyOracle *fb_accuracy_engine_get_oracle    (FbAccuracyEngine   *self);
/* NULL for fb_accuracy_engine_new(). */
const char       *fb_accuracy_engine_get_weights_path (FbAccuracyEngine *self);
FbWeights        *fb_accuracy_engine_get_weights   (FbAccuracyEngine   *self);
FbDataset        *fb_accuracy_engine_get_test_set  (FbAccuracyEngine   *self);
FbDataset        *fb_accuracy_engine_get_train_set (FbAccuracyEngine   *self);
/* Images per evaluation unless asked otherwise (the oracle's default, 1000). */
guint             fb_accuracy_engine_get_default_limit (FbAccuracyEngine *self);

/* A measured accuracy of @config on @limit images (0 = all), if known. */
gboolean          fb_accuracy_engine_lookup        (FbAccuracyEngine   *self,
                                                    FbPrecisionConfig  *config,
                                                    guint               limit,
                                                    double             *accuracy);
/* Whether that evaluation is queued or running. */
gboolean          fb_accuracy_engine_is_pending    (FbAccuracyEngine   *self,
                                                    FbPrecisionConfig  *config,
                                                    guint               limit);
/* Makes @config the current request (copied); it starts after a short quiet
 * time so a burst of edits costs one evaluation, and cancels a running
 * evaluation of an earlier current config (even when @config's accuracy is
 * known already, and then nothing else happens). */
void              fb_accuracy_engine_measure_current (FbAccuracyEngine *self,
                                                    FbPrecisionConfig  *config,
                                                    guint               limit);
/* Queues @config (copied) after the current request and earlier ones. */
void              fb_accuracy_engine_measure_background (FbAccuracyEngine *self,
                                                    FbPrecisionConfig  *config,
                                                    guint               limit);
/* Evaluations queued or running (for tests and the status). */
guint             fb_accuracy_engine_get_n_pending (FbAccuracyEngine   *self);
/* Drops the queue and cancels the running evaluation. */
void              fb_accuracy_engine_cancel        (FbAccuracyEngine   *self);

G_END_DECLS
