/* fb-candidate.h — one search result: a config with its metrics and accuracy.
 *
 * Immutable and reference counted, so a search thread can hand candidates to
 * the UI while it keeps going.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fb-metrics.h"
#include "fb-precision-config.h"

G_BEGIN_DECLS

typedef struct _FbCandidate FbCandidate;

/* Copies @config and @metrics; @accuracy is a fraction in [0, 1] or NAN when
 * not measured; @provenance (may be NULL) is referenced. */
FbCandidate       *fb_candidate_new            (FbPrecisionConfig *config,
                                                const FbMetrics   *metrics,
                                                double             accuracy,
                                                const char        *method,
                                                JsonObject        *provenance);
/* Same, but takes ownership of @config (no copy: fronts have thousands of points). */
FbCandidate       *fb_candidate_new_take       (FbPrecisionConfig *config,
                                                const FbMetrics   *metrics,
                                                double             accuracy,
                                                const char        *method,
                                                JsonObject        *provenance);
/* A copy of @self with @accuracy (a fraction, or NAN) and extra provenance
 * members from @extra (may be NULL), e.g. after measuring it. */
FbCandidate       *fb_candidate_new_with_accuracy (FbCandidate    *self,
                                                   double          accuracy,
                                                   JsonObject     *extra);
/* Computes the metrics itself (@table may be NULL: latency NAN). */
FbCandidate       *fb_candidate_new_evaluated  (FbPrecisionConfig *config,
                                                FbLatencyTable    *table,
                                                double             accuracy,
                                                const char        *method,
                                                JsonObject        *provenance,
                                                GError           **error);
/* One element of a freebits-candidates/1 list; metrics that can be derived from
 * the network (size, BOPs, peak RAM) must match it, so stale files are caught. */
FbCandidate       *fb_candidate_new_from_json  (FbNetwork         *network,
                                                JsonNode          *node,
                                                const char        *where,
                                                GError           **error);
JsonNode          *fb_candidate_to_json        (FbCandidate       *self);

FbCandidate       *fb_candidate_ref            (FbCandidate       *self);
void               fb_candidate_unref          (FbCandidate       *self);

/* Owned by the candidate: do not modify. */
FbPrecisionConfig *fb_candidate_get_config     (FbCandidate       *self);
const FbMetrics   *fb_candidate_get_metrics    (FbCandidate       *self);
double             fb_candidate_get_accuracy   (FbCandidate       *self);
const char        *fb_candidate_get_method     (FbCandidate       *self);
/* May be NULL. */
JsonObject        *fb_candidate_get_provenance (FbCandidate       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbCandidate, fb_candidate_unref)

G_END_DECLS
