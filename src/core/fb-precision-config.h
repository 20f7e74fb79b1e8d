/* fb-precision-config.h — per-layer weight bits and per-tensor activation bits.
 *
 * A config is bound to one network: entries are indexed by layer and tensor
 * index, so searches can create and compare millions of them cheaply. Unset
 * entries are 8 bit. Pinned entries are never changed by a search.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fb-network.h"

G_BEGIN_DECLS

FbPrecisionConfig *fb_precision_config_new              (FbNetwork          *network);
/* Every weighted layer @w_bits, every searchable activation @a_bits. */
FbPrecisionConfig *fb_precision_config_new_uniform      (FbNetwork          *network,
                                                         guint               w_bits,
                                                         guint               a_bits,
                                                         GError            **error);
/* @spec is a shorthand like "w4a8" or a config file path. */
FbPrecisionConfig *fb_precision_config_new_from_spec    (FbNetwork          *network,
                                                         const char         *spec,
                                                         GError            **error);
FbPrecisionConfig *fb_precision_config_load             (FbNetwork          *network,
                                                         const char         *path,
                                                         GError            **error);
FbPrecisionConfig *fb_precision_config_new_from_json    (FbNetwork          *network,
                                                         JsonNode           *root,
                                                         const char         *origin,
                                                         GError            **error);
gboolean           fb_precision_config_save             (FbPrecisionConfig  *self,
                                                         const char         *path,
                                                         GError            **error);
JsonNode          *fb_precision_config_to_json          (FbPrecisionConfig  *self);

FbPrecisionConfig *fb_precision_config_copy             (FbPrecisionConfig  *self);
void               fb_precision_config_free             (FbPrecisionConfig  *self);
gboolean           fb_precision_config_equal            (FbPrecisionConfig  *a,
                                                         FbPrecisionConfig  *b);
guint              fb_precision_config_hash             (FbPrecisionConfig  *self);

FbNetwork         *fb_precision_config_get_network      (FbPrecisionConfig  *self);

/* Weight bits of a weighted layer (0 for add/pool). */
guint              fb_precision_config_get_weight_bits  (FbPrecisionConfig  *self,
                                                         guint               layer);
void               fb_precision_config_set_weight_bits  (FbPrecisionConfig  *self,
                                                         guint               layer,
                                                         guint               bits);
/* Bits of any tensor: 8 for the input, 32 for logits, a pool output's source bits. */
guint              fb_precision_config_get_tensor_bits  (FbPrecisionConfig  *self,
                                                         guint               tensor);
/* Only for FB_TENSOR_ACTIVATION tensors. */
void               fb_precision_config_set_tensor_bits  (FbPrecisionConfig  *self,
                                                         guint               tensor,
                                                         guint               bits);

gboolean           fb_precision_config_get_weight_pinned (FbPrecisionConfig *self,
                                                          guint              layer);
void               fb_precision_config_set_weight_pinned (FbPrecisionConfig *self,
                                                          guint              layer,
                                                          gboolean           pinned);
gboolean           fb_precision_config_get_tensor_pinned (FbPrecisionConfig *self,
                                                          guint              tensor);
void               fb_precision_config_set_tensor_pinned (FbPrecisionConfig *self,
                                                          guint              tensor,
                                                          gboolean           pinned);

/* Free-form provenance (method, target, metrics, ...); may be NULL. */
JsonObject        *fb_precision_config_get_provenance   (FbPrecisionConfig  *self);
void               fb_precision_config_set_provenance   (FbPrecisionConfig  *self,
                                                         JsonObject         *provenance);

/* Checks that every entry fits the packing (C % (8/bits) == 0); the error
 * names the layer or tensor and the reason. */
gboolean           fb_precision_config_validate         (FbPrecisionConfig  *self,
                                                         GError            **error);

/* A compact human-readable form: "w 8 4 4 ... | a 8 4 ..." in layer/tensor order. */
char              *fb_precision_config_to_string        (FbPrecisionConfig  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbPrecisionConfig, fb_precision_config_free)

G_END_DECLS
