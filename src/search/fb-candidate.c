/* fb-candidate.c — one search result.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-candidate.h"
#include "fb-error.h"
#include "fb-json.h"

struct _FbCandidate {
  gatomicrefcount    ref;
  FbPrecisionConfig *config;
  FbMetrics          metrics;
  double             accuracy;
  char              *method;
  JsonObject        *provenance;
};

FbCandidate *
fb_candidate_new_take (FbPrecisionConfig *config, const FbMetrics *metrics, double accuracy,
                       const char *method, JsonObject *provenance)
{
  FbCandidate *self;

  g_return_val_if_fail (config != NULL && metrics != NULL, NULL);
  self = g_new0 (FbCandidate, 1);
  g_atomic_ref_count_init (&self->ref);
  self->config = config;
  self->metrics = *metrics;
  self->accuracy = accuracy;
  self->method = g_strdup (method ? method : "unknown");
  self->provenance = provenance ? json_object_ref (provenance) : NULL;
  return self;
}

/* Keeps a copy of @config (new_take takes @config itself). */
FbCandidate *
fb_candidate_new (FbPrecisionConfig *config, const FbMetrics *metrics, double accuracy,
                  const char *method, JsonObject *provenance)
{
  g_return_val_if_fail (config != NULL && metrics != NULL, NULL);
  return fb_candidate_new_take (fb_precision_config_copy (config), metrics, accuracy, method, provenance);
}

FbCandidate *
fb_candidate_new_with_accuracy (FbCandidate *self, double accuracy, JsonObject *extra)
{
  g_autoptr(JsonObject) prov = json_object_new ();
  g_autoptr(FbPrecisionConfig) config = fb_precision_config_copy (self->config);

  if (self->provenance)
    {
      JsonObjectIter it;
      const char *name;
      JsonNode *node;
      json_object_iter_init (&it, self->provenance);
      while (json_object_iter_next (&it, &name, &node))
        json_object_set_member (prov, name, json_node_copy (node));
    }
  if (extra)
    {
      JsonObjectIter it;
      const char *name;
      JsonNode *node;
      json_object_iter_init (&it, extra);
      while (json_object_iter_next (&it, &name, &node))
        json_object_set_member (prov, name, json_node_copy (node));
    }
  fb_precision_config_set_provenance (config, prov);
  return fb_candidate_new_take (g_steal_pointer (&config), &self->metrics, accuracy, self->method, prov);
}

FbCandidate *
fb_candidate_new_evaluated (FbPrecisionConfig *config, FbLatencyTable *table, double accuracy,
                            const char *method, JsonObject *provenance, GError **error)
{
  FbMetrics m;

  if (!fb_metrics_compute (config, table, &m, NULL, error))
    return NULL;
  return fb_candidate_new (config, &m, accuracy, method, provenance);
}

FbCandidate *
fb_candidate_ref (FbCandidate *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_candidate_unref (FbCandidate *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  fb_precision_config_free (self->config);
  g_free (self->method);
  if (self->provenance)
    json_object_unref (self->provenance);
  g_free (self);
}

FbPrecisionConfig *fb_candidate_get_config     (FbCandidate *self) { return self->config; }
const FbMetrics   *fb_candidate_get_metrics    (FbCandidate *self) { return &self->metrics; }
double             fb_candidate_get_accuracy   (FbCandidate *self) { return self->accuracy; }
const char        *fb_candidate_get_method     (FbCandidate *self) { return self->method; }
JsonObject        *fb_candidate_get_provenance (FbCandidate *self) { return self->provenance; }

JsonNode *
fb_candidate_to_json (FbCandidate *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "config");
  json_builder_add_value (b, fb_precision_config_to_json (self->config));
  json_builder_set_member_name (b, "size_bytes");
  json_builder_add_int_value (b, self->metrics.size_bytes);
  json_builder_set_member_name (b, "bops");
  json_builder_add_int_value (b, self->metrics.bops);
  json_builder_set_member_name (b, "latency");
  if (isnan (self->metrics.latency))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, self->metrics.latency);
  json_builder_set_member_name (b, "peak_activation_bytes");
  json_builder_add_int_value (b, self->metrics.peak_activation_bytes);
  /* What --max-ram budgets; informational in the file (see the reader). */
  json_builder_set_member_name (b, "ram_bytes");
  json_builder_add_int_value (b, self->metrics.ram_bytes);
  json_builder_set_member_name (b, "accuracy");
  if (isnan (self->accuracy))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, self->accuracy);
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, self->method);
  json_builder_set_member_name (b, "provenance");
  if (self->provenance)
    {
      JsonNode *p = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (p, self->provenance);
      json_builder_add_value (b, p);
    }
  else
    {
      json_builder_begin_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* A nullable number: absent or null → NAN. */
static gboolean
get_nullable_number (JsonObject *obj, const char *member, const char *where,
                     double *out, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  *out = NAN;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  return fb_json_get_number (obj, member, where, TRUE, out, error);
}

static gboolean
check_metric (const char *where, const char *field, gint64 in_file, guint64 computed, GError **error)
{
  if ((guint64) in_file == computed)
    return TRUE;
  g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
               _("%s: field \"%s\" is %" PRId64 " but the config gives %" PRIu64
                 " (stale file, or made for another version of the network?)"),
               where, field, in_file, computed);
  return FALSE;
}

FbCandidate *
fb_candidate_new_from_json (FbNetwork *network, JsonNode *node, const char *where, GError **error)
{
  static const char *allowed[] = { "config", "size_bytes", "bops", "latency", "peak_activation_bytes",
                                   "ram_bytes", "accuracy", "method", "provenance", NULL };
  JsonObject *obj, *cfg_obj = NULL, *prov = NULL;
  g_autoptr(JsonNode) cfg_node = NULL;
  g_autoptr(FbPrecisionConfig) config = NULL;
  g_autofree char *cfg_where = NULL;
  gint64 size = 0, bops = 0, peak = 0, ram = 0;
  double latency, accuracy;
  const char *method = NULL;
  FbMetrics m;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: expected an object, got %s"),
                   where, fb_json_node_describe (node));
      return NULL;
    }
  obj = json_node_get_object (node);
  if (!fb_json_check_members (obj, where, allowed, error) ||
      !fb_json_get_object (obj, "config", where, TRUE, &cfg_obj, error) ||
      !fb_json_get_int (obj, "size_bytes", where, TRUE, 0, G_MAXINT64, &size, error) ||
      !fb_json_get_int (obj, "bops", where, TRUE, 0, G_MAXINT64, &bops, error) ||
      !fb_json_get_int (obj, "peak_activation_bytes", where, TRUE, 0, G_MAXINT64, &peak, error) ||
      !fb_json_get_int (obj, "ram_bytes", where, FALSE, 0, G_MAXINT64, &ram, error) ||
      !get_nullable_number (obj, "latency", where, &latency, error) ||
      !get_nullable_number (obj, "accuracy", where, &accuracy, error) ||
      !fb_json_get_string (obj, "method", where, TRUE, &method, error) ||
      !fb_json_get_object (obj, "provenance", where, FALSE, &prov, error))
    return NULL;
  if (!isnan (latency) && latency < 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"latency\" must be >= 0, got %g"), where, latency);
      return NULL;
    }
  if (!isnan (accuracy) && (accuracy < 0 || accuracy > 1))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"accuracy\" is a fraction in [0, 1] or null, got %g"), where, accuracy);
      return NULL;
    }

  cfg_where = g_strdup_printf ("%s: config", where);
  cfg_node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (cfg_node, cfg_obj);
  config = fb_precision_config_new_from_json (network, cfg_node, cfg_where, error);
  if (config == NULL)
    return NULL;

  /* Derivable metrics are recomputed: a disagreeing file is stale, not truth. ram_bytes is
   * recomputed but not compared: its kernel scratch changes with the kernels of the freebits
   * version that reads the file, and the config itself stays valid. */
  if (!fb_metrics_compute (config, NULL, &m, NULL, error))
    return NULL;
  if (!check_metric (where, "size_bytes", size, m.size_bytes, error) ||
      !check_metric (where, "bops", bops, m.bops, error) ||
      !check_metric (where, "peak_activation_bytes", peak, m.peak_activation_bytes, error))
    return NULL;
  m.latency = latency;
  return fb_candidate_new (config, &m, accuracy, method, prov);
}
