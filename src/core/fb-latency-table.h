/* fb-latency-table.h — per-layer cost of every precision combination on one target.
 *
 * Keys (CONVENTIONS.md): weighted layers "a8w4o8" (input bits, weight bits,
 * output bits; the classifier writes "o32"), add "a8b4o8" (two inputs),
 * pool "a8o8". A signed operand's letter is 'i' instead: "a8w4i8" (signed
 * output), "i8b8o8" (add of a signed and an unsigned input, ReLU after),
 * "i4i4" (pool of a signed tensor). Immutable after loading/building;
 * reference counted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "fb-precision-config.h"

G_BEGIN_DECLS

typedef enum {
  FB_LATENCY_UNIT_CYCLES,
  FB_LATENCY_UNIT_INSTRUCTIONS,
  FB_LATENCY_UNIT_US,
} FbLatencyUnit;

typedef enum {
  FB_LATENCY_METHOD_MEASURED,
  FB_LATENCY_METHOD_MODELED,
  FB_LATENCY_METHOD_IMPORTED,
} FbLatencyMethod;

#define FB_LATENCY_KEY_MAX 16

FbLatencyTable *fb_latency_table_new              (const char       *target,
                                                   FbLatencyUnit     unit,
                                                   FbLatencyMethod   method);
FbLatencyTable *fb_latency_table_load             (const char       *path,
                                                   GError          **error);
FbLatencyTable *fb_latency_table_new_from_json    (JsonNode         *root,
                                                   const char       *origin,
                                                   GError          **error);
gboolean        fb_latency_table_save             (FbLatencyTable   *self,
                                                   const char       *path,
                                                   GError          **error);
JsonNode       *fb_latency_table_to_json          (FbLatencyTable   *self);

FbLatencyTable *fb_latency_table_ref              (FbLatencyTable   *self);
void            fb_latency_table_unref            (FbLatencyTable   *self);

const char     *fb_latency_table_get_target       (FbLatencyTable   *self);
FbLatencyUnit   fb_latency_table_get_unit         (FbLatencyTable   *self);
FbLatencyMethod fb_latency_table_get_method       (FbLatencyTable   *self);
/* Clock in Hz, 0 when unknown (instructions on an emulator). */
double          fb_latency_table_get_clock_hz     (FbLatencyTable   *self);
void            fb_latency_table_set_clock_hz     (FbLatencyTable   *self,
                                                   double            hz);
/* The network the table was made for (name, canonical SHA-256); may be NULL. */
const char     *fb_latency_table_get_network      (FbLatencyTable   *self);
const char     *fb_latency_table_get_network_sha256 (FbLatencyTable *self);
void            fb_latency_table_set_network      (FbLatencyTable   *self,
                                                   FbNetwork        *network);
JsonObject     *fb_latency_table_get_provenance   (FbLatencyTable   *self);
void            fb_latency_table_set_provenance   (FbLatencyTable   *self,
                                                   JsonObject       *provenance);

void            fb_latency_table_set_cost         (FbLatencyTable   *self,
                                                   const char       *layer,
                                                   const char       *key,
                                                   double            cost);
/* Optional measurement spread (e.g. inter-quartile range of host timings). */
void            fb_latency_table_set_spread       (FbLatencyTable   *self,
                                                   const char       *layer,
                                                   const char       *key,
                                                   double            spread);
gboolean        fb_latency_table_lookup           (FbLatencyTable   *self,
                                                   const char       *layer,
                                                   const char       *key,
                                                   double           *cost);
gboolean        fb_latency_table_lookup_spread    (FbLatencyTable   *self,
                                                   const char       *layer,
                                                   const char       *key,
                                                   double           *spread);
/* Layer names in insertion order (owned by the table). */
GPtrArray      *fb_latency_table_get_layers       (FbLatencyTable   *self);
/* Keys of one layer, sorted from high to low precision; free with g_strfreev. */
char          **fb_latency_table_get_keys         (FbLatencyTable   *self,
                                                   const char       *layer);

/* Errors if the table was made for a different network (SHA-256 known and different). */
gboolean        fb_latency_table_check_network    (FbLatencyTable   *self,
                                                   FbNetwork        *network,
                                                   GError          **error);
/* Cost of @layer under @config; the error names the layer and the missing key. */
gboolean        fb_latency_table_layer_cost       (FbLatencyTable   *self,
                                                   FbPrecisionConfig *config,
                                                   guint             layer,
                                                   double           *cost,
                                                   GError          **error);

/* The key of @layer under @config, written into @buf (FB_LATENCY_KEY_MAX bytes). */
void            fb_latency_key_for_layer          (FbPrecisionConfig *config,
                                                   guint             layer,
                                                   char             *buf);
/* All keys @layer admits (channel packing respected), high precision first. */
char          **fb_latency_admissible_keys        (FbNetwork        *network,
                                                   guint             layer);
gboolean        fb_latency_key_is_valid           (const char       *key);
/* The key of @layer for explicit bits (@mid_bits: weight bits, the add's
 * second input, ignored for a pool); a signed operand is spelled 'i'. */
void            fb_latency_format_key             (FbNetwork        *network,
                                                   guint             layer,
                                                   guint             in_bits,
                                                   guint             mid_bits,
                                                   guint             out_bits,
                                                   char             *buf);
/* Bits of a valid key, signed or not; @mid_bits is 0 for a pool key. */
gboolean        fb_latency_key_parse              (const char       *key,
                                                   guint            *in_bits,
                                                   guint            *mid_bits,
                                                   guint            *out_bits);

const char     *fb_latency_unit_to_string         (FbLatencyUnit     unit);
gboolean        fb_latency_unit_from_string       (const char       *str,
                                                   FbLatencyUnit    *unit);
const char     *fb_latency_method_to_string       (FbLatencyMethod   method);
gboolean        fb_latency_method_from_string     (const char       *str,
                                                   FbLatencyMethod  *method);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbLatencyTable, fb_latency_table_unref)

G_END_DECLS
