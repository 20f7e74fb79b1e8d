/* fb-latency-measure-job.h — a measured latency table (fb_latency_measure:
 * rv32imc under QEMU, or host timings) as an FbJob.
 *
 * Progress is the entries done of all (layer, key) entries; the stage label
 * is "[done/total] layer key", as freebits-cli latency measure prints it.
 * The result is the FbLatencyTable.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-job.h"
#include "fb-latency-measure.h"

G_BEGIN_DECLS

#define FB_TYPE_LATENCY_MEASURE_JOB (fb_latency_measure_job_get_type ())
G_DECLARE_FINAL_TYPE (FbLatencyMeasureJob, fb_latency_measure_job, FB, LATENCY_MEASURE_JOB, FbJob)

/* @network is referenced, @options copied (its target string too). */
FbLatencyMeasureJob *fb_latency_measure_job_new       (FbNetwork                     *network,
                                                       const FbLatencyMeasureOptions *options);
/* After success: the table (owned by the job; ref it to keep it). */
FbLatencyTable      *fb_latency_measure_job_get_table (FbLatencyMeasureJob           *self);

G_END_DECLS
