/* fb-exporter.h — writes the C bundle of a trained network for one precision config.
 *
 * The bundle (docs/export.md): freebits_config.json (the config with provenance),
 * network.h/network.c (fb_network_run(): one kernel call per layer), weights.h/weights.c,
 * the kernel sources this config calls with a reduced variant list, main.c (the harness),
 * test_images.bin/test_labels.bin, Makefile (host, rv32imc, run-rv32imc) and README.md.
 *
 * Writing is atomic: the bundle is assembled in a temporary directory next to the
 * destination and renamed into place; on any error nothing is left behind.  An existing
 * destination is replaced only with @force, and only if it is empty or a bundle
 * (holds freebits_config.json), so a mistyped -o never deletes unrelated files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-dataset.h"
#include "fb-int-network.h"
#include "fb-latency-table.h"

G_BEGIN_DECLS

typedef struct _FbExporter FbExporter;

#define FB_EXPORTER_DEFAULT_IMAGES 1000

/* @network must be lowered for FB_KERNEL_ARCH_HOST (the bundle's host build and the
 * in-process evaluation both use it; the rv32imc scratch sizes come from a second plan). */
FbExporter            *fb_exporter_new                 (FbIntNetwork    *network);
FbExporter            *fb_exporter_ref                 (FbExporter      *self);
void                   fb_exporter_unref               (FbExporter      *self);

/* How the config is named in comments and the README ("w8a8", "mixed.json"). */
void                   fb_exporter_set_config_label    (FbExporter      *self,
                                                        const char      *label);
/* Per-layer latency in the comments, the README and the provenance; may be NULL. */
void                   fb_exporter_set_latency_table   (FbExporter      *self,
                                                        FbLatencyTable  *table);
/* The weights file the network was folded from: its path and SHA-256 go to the
 * provenance. */
void                   fb_exporter_set_weights_origin  (FbExporter      *self,
                                                        const char      *path);
/* The first @n_images of @dataset become test_images.bin / test_labels.bin, and are
 * evaluated in process (accuracy and logits_fnv1a in the provenance and the README).
 * Without a dataset (or with 0 images) the bundle has no test files. */
void                   fb_exporter_set_test_images     (FbExporter      *self,
                                                        FbDataset       *dataset,
                                                        guint            n_images);

gboolean               fb_exporter_write               (FbExporter      *self,
                                                        const char      *dir,
                                                        gboolean         force,
                                                        GCancellable    *cancellable,
                                                        GError         **error);

/* After a successful fb_exporter_write() with test images: the in-process evaluation of
 * those images; NULL otherwise. */
const FbIntEvalResult *fb_exporter_get_evaluation      (FbExporter      *self);
/* After a successful write: the bundle's file names, in writing order (NULL-terminated). */
const char *const     *fb_exporter_get_files           (FbExporter      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbExporter, fb_exporter_unref)

G_END_DECLS
