/* fb-onnx-import.h — an ONNX model as a freebits network and its float weights.
 *
 * fb_onnx_import_load() reads a model exported by PyTorch's
 * torch.onnx.export or tf2onnx (opsets 11-17; docs/import.md lists the
 * operators and how they are folded) and maps it onto freebits layers:
 * the result is a `freebits-network/1` (FbNetwork, validated by src/core)
 * and a `freebits-weights/1` (FbWeights) whose float forward
 * (src/nn/fb-trainer.h) computes what the model computed.
 *
 * Errors are one line naming the file, and for a graph the node, its op
 * and why; a malformed or truncated file is an error, never a crash.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-network.h"
#include "fb-weights.h"

G_BEGIN_DECLS

typedef struct _FbOnnxImport FbOnnxImport;

typedef struct {
  const char   *name;             /* network name; NULL: the model's file name */
  /* The input as the integer network sees it (docs/formats.md):
   * real = (x_int − zero_point) · scale. Defaults: u8 pixels, 1/255, 0. */
  gboolean      input_signed;
  double        input_scale;      /* ≤ 0: 1/255 */
  gint          input_zero_point;
  /* Normalization the model was trained with, x' = (real − mean[c]) / std[c],
   * folded into the first layer: 0 values (none), 1 (every channel) or one
   * per input channel. */
  guint         n_mean;
  const double *mean;
  guint         n_std;
  const double *std;
  const char   *output_kind;      /* "classes", "values", or NULL: see docs/import.md */
} FbOnnxImportOptions;

void           fb_onnx_import_options_init (FbOnnxImportOptions       *options);

FbOnnxImport  *fb_onnx_import_load         (const char                *path,
                                            const FbOnnxImportOptions *options,
                                            GError                   **error);
FbOnnxImport  *fb_onnx_import_load_from_data (const guint8            *data,
                                            gsize                      length,
                                            const char                *origin,
                                            const FbOnnxImportOptions *options,
                                            GError                   **error);
void           fb_onnx_import_free         (FbOnnxImport              *self);

FbNetwork     *fb_onnx_import_get_network  (FbOnnxImport              *self);
FbWeights     *fb_onnx_import_get_weights  (FbOnnxImport              *self);
/* Remarks for the user (e.g. where folding mean/std is not exact), one line
 * each; may be empty. */
const char * const *fb_onnx_import_get_notes (FbOnnxImport            *self);

/* Writes @network_path and its weights next to it (the name with ".json"
 * replaced by ".fbw"), each atomically; the network's "weights" field
 * names the weights file. Returns the weights path in @weights_path. */
gboolean       fb_onnx_import_save         (FbOnnxImport              *self,
                                            const char                *network_path,
                                            char                     **weights_path,
                                            GError                   **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbOnnxImport, fb_onnx_import_free)

G_END_DECLS
