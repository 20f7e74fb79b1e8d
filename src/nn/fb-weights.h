/* fb-weights.h — named float32 tensors of one network: `freebits-weights/1`.
 *
 * A set of tensors keyed by (layer, param), e.g. ("conv1", "weight"),
 * ("conv1", "bn_mean"), ("fc", "bias"), bound to one network topology by
 * its SHA-256. The file is one JSON header, a NUL, zero padding to a
 * 64-byte boundary, then the little-endian float32 data (docs/formats.md).
 *
 * This type does not interpret param names; the trainer and the integer
 * evaluator check the names and shapes they need. So the quantization-aware
 * slice can add its tensors (learned clipping values per bit-width,
 * per-precision batch-norm statistics) without a format change.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fb-network.h"

G_BEGIN_DECLS

typedef struct _FbWeights FbWeights;

#define FB_WEIGHTS_MAX_DIMS 4
/* Alignment of the data blob and of every tensor inside it, in bytes. */
#define FB_WEIGHTS_ALIGN 64

typedef struct {
  char   *layer;
  char   *param;
  guint   n_dims;
  guint   dims[FB_WEIGHTS_MAX_DIMS];
  gsize   n;        /* elements: product of dims */
  float  *data;
} FbWeightsTensor;

FbWeights             *fb_weights_new             (const char       *network_name,
                                                   const char       *network_sha256);
FbWeights             *fb_weights_new_for_network (FbNetwork        *network);
/* With @network, the file must have been made for its topology
 * (FB_ERROR_MISMATCH otherwise) and name only its layers. Truncated or
 * corrupted files (checksum) are errors naming the file. */
FbWeights             *fb_weights_load            (const char       *path,
                                                   FbNetwork        *network,
                                                   GError          **error);
FbWeights             *fb_weights_load_from_data  (const guint8     *data,
                                                   gsize             length,
                                                   const char       *origin,
                                                   FbNetwork        *network,
                                                   GError          **error);
/* Atomic: temporary file + rename. */
gboolean               fb_weights_save            (FbWeights        *self,
                                                   const char       *path,
                                                   GError          **error);
GBytes                *fb_weights_to_bytes        (FbWeights        *self);

FbWeights             *fb_weights_ref             (FbWeights        *self);
void                   fb_weights_unref           (FbWeights        *self);

const char            *fb_weights_get_network_name   (FbWeights     *self);
const char            *fb_weights_get_network_sha256 (FbWeights     *self);

/* Adds a zero-filled tensor and returns its data; (layer, param) must be new. */
float                 *fb_weights_add             (FbWeights        *self,
                                                   const char       *layer,
                                                   const char       *param,
                                                   guint             n_dims,
                                                   const guint      *dims);
guint                  fb_weights_get_n_tensors   (FbWeights        *self);
const FbWeightsTensor *fb_weights_get_tensor      (FbWeights        *self,
                                                   guint             index);
const FbWeightsTensor *fb_weights_lookup          (FbWeights        *self,
                                                   const char       *layer,
                                                   const char       *param);
/* Like lookup, but an absent tensor or one whose shape is not @dims is an
 * error naming @origin (the file), the tensor and both shapes. */
const FbWeightsTensor *fb_weights_require         (FbWeights        *self,
                                                   const char       *layer,
                                                   const char       *param,
                                                   guint             n_dims,
                                                   const guint      *dims,
                                                   const char       *origin,
                                                   GError          **error);

/* Free-form provenance of the training that produced the tensors
 * (epochs, seed, float test accuracy, ...); may be NULL. */
JsonObject            *fb_weights_get_training    (FbWeights        *self);
void                   fb_weights_set_training    (FbWeights        *self,
                                                   JsonObject       *training);
/* Resumable training state (only in checkpoints); may be NULL. */
JsonObject            *fb_weights_get_checkpoint  (FbWeights        *self);
void                   fb_weights_set_checkpoint  (FbWeights        *self,
                                                   JsonObject       *checkpoint);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbWeights, fb_weights_unref)

G_END_DECLS
