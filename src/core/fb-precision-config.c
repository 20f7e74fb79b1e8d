/* fb-precision-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-json.h"
#include "fb-precision-config.h"

struct _FbPrecisionConfig {
  FbNetwork  *network;
  guint       n_layers;
  guint       n_tensors;
  guint8     *w_bits;     /* per layer; 0 for layers without weights */
  guint8     *a_bits;     /* per tensor; meaningful for ACTIVATION tensors */
  guint8     *w_pinned;
  guint8     *a_pinned;
  JsonObject *provenance;
};

FbPrecisionConfig *
fb_precision_config_new (FbNetwork *network)
{
  FbPrecisionConfig *self = g_new0 (FbPrecisionConfig, 1);

  self->network = fb_network_ref (network);
  self->n_layers = fb_network_get_n_layers (network);
  self->n_tensors = fb_network_get_n_tensors (network);
  self->w_bits = g_new0 (guint8, self->n_layers);
  self->a_bits = g_new0 (guint8, self->n_tensors);
  self->w_pinned = g_new0 (guint8, self->n_layers);
  self->a_pinned = g_new0 (guint8, self->n_tensors);
  for (guint i = 0; i < self->n_layers; i++)
    self->w_bits[i] = fb_layer_is_weighted (fb_network_get_layer (network, i)) ? 8 : 0;
  for (guint i = 0; i < self->n_tensors; i++)
    self->a_bits[i] = 8;
  return self;
}

void
fb_precision_config_free (FbPrecisionConfig *self)
{
  if (self == NULL)
    return;
  fb_network_unref (self->network);
  g_free (self->w_bits);
  g_free (self->a_bits);
  g_free (self->w_pinned);
  g_free (self->a_pinned);
  g_clear_pointer (&self->provenance, json_object_unref);
  g_free (self);
}

FbPrecisionConfig *
fb_precision_config_copy (FbPrecisionConfig *self)
{
  FbPrecisionConfig *copy = fb_precision_config_new (self->network);

  memcpy (copy->w_bits, self->w_bits, self->n_layers);
  memcpy (copy->a_bits, self->a_bits, self->n_tensors);
  memcpy (copy->w_pinned, self->w_pinned, self->n_layers);
  memcpy (copy->a_pinned, self->a_pinned, self->n_tensors);
  if (self->provenance)
    copy->provenance = json_object_ref (self->provenance);
  return copy;
}

gboolean
fb_precision_config_equal (FbPrecisionConfig *a, FbPrecisionConfig *b)
{
  /* Bits only: pins and provenance do not change what the network computes. */
  return a->network == b->network &&
         memcmp (a->w_bits, b->w_bits, a->n_layers) == 0 &&
         memcmp (a->a_bits, b->a_bits, a->n_tensors) == 0;
}

guint
fb_precision_config_hash (FbPrecisionConfig *self)
{
  guint h = 2166136261u;
  for (guint i = 0; i < self->n_layers; i++)
    h = (h ^ self->w_bits[i]) * 16777619u;
  for (guint i = 0; i < self->n_tensors; i++)
    h = (h ^ self->a_bits[i]) * 16777619u;
  return h;
}

FbNetwork *
fb_precision_config_get_network (FbPrecisionConfig *self)
{
  return self->network;
}

guint
fb_precision_config_get_weight_bits (FbPrecisionConfig *self, guint layer)
{
  g_return_val_if_fail (layer < self->n_layers, 0);
  return self->w_bits[layer];
}

void
fb_precision_config_set_weight_bits (FbPrecisionConfig *self, guint layer, guint bits)
{
  g_return_if_fail (layer < self->n_layers);
  g_return_if_fail (FB_BITS_IS_VALID (bits));
  g_return_if_fail (self->w_bits[layer] != 0);
  self->w_bits[layer] = bits;
}

guint
fb_precision_config_get_tensor_bits (FbPrecisionConfig *self, guint tensor)
{
  const FbTensor *t;

  g_return_val_if_fail (tensor < self->n_tensors, 0);
  t = fb_network_get_tensor (self->network, tensor);
  switch (t->kind)
    {
    case FB_TENSOR_INPUT: return 8;
    case FB_TENSOR_LOGITS: return FB_BITS_LOGITS;
    case FB_TENSOR_POOLED: return fb_precision_config_get_tensor_bits (self, t->bits_source);
    case FB_TENSOR_ACTIVATION:
    default: return self->a_bits[tensor];
    }
}

void
fb_precision_config_set_tensor_bits (FbPrecisionConfig *self, guint tensor, guint bits)
{
  g_return_if_fail (tensor < self->n_tensors);
  g_return_if_fail (FB_BITS_IS_VALID (bits));
  g_return_if_fail (fb_network_get_tensor (self->network, tensor)->kind == FB_TENSOR_ACTIVATION);
  self->a_bits[tensor] = bits;
}

gboolean
fb_precision_config_get_weight_pinned (FbPrecisionConfig *self, guint layer)
{
  g_return_val_if_fail (layer < self->n_layers, FALSE);
  return self->w_pinned[layer];
}

void
fb_precision_config_set_weight_pinned (FbPrecisionConfig *self, guint layer, gboolean pinned)
{
  g_return_if_fail (layer < self->n_layers);
  g_return_if_fail (self->w_bits[layer] != 0);
  self->w_pinned[layer] = !!pinned;
}

gboolean
fb_precision_config_get_tensor_pinned (FbPrecisionConfig *self, guint tensor)
{
  g_return_val_if_fail (tensor < self->n_tensors, FALSE);
  return self->a_pinned[tensor];
}

void
fb_precision_config_set_tensor_pinned (FbPrecisionConfig *self, guint tensor, gboolean pinned)
{
  g_return_if_fail (tensor < self->n_tensors);
  g_return_if_fail (fb_network_get_tensor (self->network, tensor)->kind == FB_TENSOR_ACTIVATION);
  self->a_pinned[tensor] = !!pinned;
}

JsonObject *
fb_precision_config_get_provenance (FbPrecisionConfig *self)
{
  return self->provenance;
}

void
fb_precision_config_set_provenance (FbPrecisionConfig *self, JsonObject *provenance)
{
  if (provenance)
    json_object_ref (provenance);
  g_clear_pointer (&self->provenance, json_object_unref);
  self->provenance = provenance;
}

gboolean
fb_precision_config_validate (FbPrecisionConfig *self, GError **error)
{
  FbNetwork *net = self->network;

  for (guint i = 0; i < self->n_layers; i++)
    {
      const FbLayer *l = fb_network_get_layer (net, i);
      guint b = self->w_bits[i];
      if (b != 0 && !fb_network_layer_admits_weight_bits (net, i, b))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                       _("layer \"%s\": %u-bit depthwise weights pack %u per byte along the channels, "
                         "so the channel count must be a multiple of %u, but it is %u"),
                       l->name, b, 8 / b, 8 / b, l->cin);
          return FALSE;
        }
    }
  for (guint i = 0; i < self->n_tensors; i++)
    {
      const FbTensor *t = fb_network_get_tensor (net, i);
      guint b = self->a_bits[i];
      if (t->kind == FB_TENSOR_ACTIVATION && !fb_network_tensor_admits_bits (net, i, b))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                       _("tensor \"%s\" (output of layer \"%s\"): %u-bit activations pack %u per byte along "
                         "the channels, so the channel count must be a multiple of %u, but it is %u"),
                       t->name, fb_network_get_layer (net, t->producer)->name, b, 8 / b, 8 / b, t->shape.c);
          return FALSE;
        }
    }
  return TRUE;
}

FbPrecisionConfig *
fb_precision_config_new_uniform (FbNetwork *network, guint w_bits, guint a_bits, GError **error)
{
  g_autoptr(FbPrecisionConfig) self = fb_precision_config_new (network);

  if (!FB_BITS_IS_VALID (w_bits) || !FB_BITS_IS_VALID (a_bits))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                   _("w%ua%u: bit-widths must be 8, 4 or 2"), w_bits, a_bits);
      return NULL;
    }
  for (guint i = 0; i < self->n_layers; i++)
    if (self->w_bits[i] != 0)
      self->w_bits[i] = w_bits;
  for (guint i = 0; i < self->n_tensors; i++)
    if (fb_network_get_tensor (network, i)->kind == FB_TENSOR_ACTIVATION)
      self->a_bits[i] = a_bits;
  if (!fb_precision_config_validate (self, error))
    {
      g_prefix_error (error, _("w%ua%u on network \"%s\": "), w_bits, a_bits, fb_network_get_name (network));
      return NULL;
    }
  return g_steal_pointer (&self);
}

static gboolean
parse_shorthand (const char *spec, guint *w, guint *a)
{
  /* "wXaY" with single digits; validity of X, Y is checked by the caller. */
  if (strlen (spec) != 4 || spec[0] != 'w' || spec[2] != 'a' ||
      !g_ascii_isdigit (spec[1]) || !g_ascii_isdigit (spec[3]))
    return FALSE;
  *w = spec[1] - '0';
  *a = spec[3] - '0';
  return TRUE;
}

FbPrecisionConfig *
fb_precision_config_new_from_spec (FbNetwork *network, const char *spec, GError **error)
{
  guint w, a;

  if (parse_shorthand (spec, &w, &a))
    return fb_precision_config_new_uniform (network, w, a, error);
  if (!g_file_test (spec, G_FILE_TEST_EXISTS) && !strchr (spec, '/') && !g_str_has_suffix (spec, ".json"))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_IO,
                   _("%s: not a config file and not a shorthand like w8a8, w4a8, w2a2"), spec);
      return NULL;
    }
  return fb_precision_config_load (network, spec, error);
}

static gboolean
read_bits (JsonNode *node, const char *where, guint *out, GError **error)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: expected bits 8, 4 or 2, got %s"),
                   where, fb_json_node_describe (node));
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v != 8 && v != 4 && v != 2)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("%s: %" PRId64 " bits is not supported (expected 8, 4 or 2)"),
                   where, v);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

static gboolean
lookup_weighted_layer (FbNetwork *net, const char *name, const char *where, guint *out, GError **error)
{
  const FbLayer *l = fb_network_lookup_layer (net, name);

  if (l == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("%s: network \"%s\" has no layer \"%s\""),
                   where, fb_network_get_name (net), name);
      return FALSE;
    }
  if (!fb_layer_is_weighted (l))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: layer \"%s\" (%s) has no weights"),
                   where, name, fb_op_to_string (l->op));
      return FALSE;
    }
  *out = l->index;
  return TRUE;
}

static gboolean
lookup_activation (FbNetwork *net, const char *name, const char *where, guint *out, GError **error)
{
  const FbTensor *t = fb_network_lookup_tensor (net, name);

  if (t == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH, _("%s: network \"%s\" has no tensor \"%s\""),
                   where, fb_network_get_name (net), name);
      return FALSE;
    }
  switch (t->kind)
    {
    case FB_TENSOR_INPUT:
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: \"%s\" is the network input, fixed at 8 bits"), where, name);
      return FALSE;
    case FB_TENSOR_LOGITS:
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: \"%s\" are the int32 logits, not a choice"), where, name);
      return FALSE;
    case FB_TENSOR_POOLED:
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: \"%s\" is a pool output; its bits follow \"%s\""),
                   where, name, fb_network_get_tensor (net, t->bits_source)->name);
      return FALSE;
    case FB_TENSOR_ACTIVATION:
    default:
      *out = t->index;
      return TRUE;
    }
}

static FbPrecisionConfig *
config_from_json (FbNetwork *network, JsonNode *root, const char *origin, GError **error)
{
  g_autoptr(FbPrecisionConfig) self = fb_precision_config_new (network);
  JsonObject *obj, *weights, *acts, *pinned, *prov;
  const char *sha, *netname;

  obj = fb_json_root_object (root, "freebits-config", origin, error);
  if (obj == NULL)
    return NULL;
  {
    static const char *known[] = { "format", "network", "network_sha256", "weights", "activations",
                                   "pinned", "provenance", NULL };
    if (!fb_json_check_members (obj, origin, known, error))
      return NULL;
  }
  if (!fb_json_get_string (obj, "network", origin, FALSE, &netname, error) ||
      !fb_json_get_string (obj, "network_sha256", origin, FALSE, &sha, error) ||
      !fb_json_get_object (obj, "weights", origin, FALSE, &weights, error) ||
      !fb_json_get_object (obj, "activations", origin, FALSE, &acts, error) ||
      !fb_json_get_object (obj, "pinned", origin, FALSE, &pinned, error) ||
      !fb_json_get_object (obj, "provenance", origin, FALSE, &prov, error))
    return NULL;

  if (sha != NULL && g_ascii_strcasecmp (sha, fb_network_get_sha256 (network)) != 0)
    {
      /* The names may agree while the topologies differ: say it is the topology. */
      g_autofree char *made_for =
        netname == NULL ? g_strdup ("another network")
        : g_strcmp0 (netname, fb_network_get_name (network)) == 0
        ? g_strdup_printf ("another version of \"%s\"", netname)
        : g_strdup_printf ("network \"%s\"", netname);
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("%s: field \"network_sha256\" (%.12s…) does not match the topology of network \"%s\" (%.12s…); "
                     "the config was made for %s"),
                   origin, sha, fb_network_get_name (network), fb_network_get_sha256 (network), made_for);
      return NULL;
    }

  if (weights)
    {
      g_autoptr(GList) members = json_object_get_members (weights);
      for (GList *m = members; m; m = m->next)
        {
          g_autofree char *where = g_strdup_printf ("%s: weights.%s", origin, (char *) m->data);
          guint layer, bits;
          if (!lookup_weighted_layer (network, m->data, where, &layer, error) ||
              !read_bits (json_object_get_member (weights, m->data), where, &bits, error))
            return NULL;
          self->w_bits[layer] = bits;
        }
    }
  if (acts)
    {
      g_autoptr(GList) members = json_object_get_members (acts);
      for (GList *m = members; m; m = m->next)
        {
          g_autofree char *where = g_strdup_printf ("%s: activations.%s", origin, (char *) m->data);
          guint tensor, bits;
          if (!lookup_activation (network, m->data, where, &tensor, error) ||
              !read_bits (json_object_get_member (acts, m->data), where, &bits, error))
            return NULL;
          self->a_bits[tensor] = bits;
        }
    }
  if (pinned)
    {
      static const char *kinds[] = { "weights", "activations" };
      g_autoptr(GList) members = json_object_get_members (pinned);

      for (GList *m = members; m; m = m->next)
        if (g_strcmp0 (m->data, kinds[0]) != 0 && g_strcmp0 (m->data, kinds[1]) != 0)
          {
            g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                         _("%s: pinned.%s: unknown key, expected \"weights\" or \"activations\""),
                         origin, (char *) m->data);
            return NULL;
          }
      for (guint k = 0; k < 2; k++)
        {
          g_autofree char *where = g_strdup_printf ("%s: pinned", origin);
          JsonArray *arr;
          if (!fb_json_get_array (pinned, kinds[k], where, FALSE, &arr, error))
            return NULL;
          for (guint i = 0; arr && i < json_array_get_length (arr); i++)
            {
              JsonNode *node = json_array_get_element (arr, i);
              g_autofree char *w2 = g_strdup_printf ("%s: pinned.%s[%u]", origin, kinds[k], i);
              guint index;
              if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
                {
                  g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: expected a name, got %s"),
                               w2, fb_json_node_describe (node));
                  return NULL;
                }
              if (k == 0)
                {
                  if (!lookup_weighted_layer (network, json_node_get_string (node), w2, &index, error))
                    return NULL;
                  self->w_pinned[index] = TRUE;
                }
              else
                {
                  if (!lookup_activation (network, json_node_get_string (node), w2, &index, error))
                    return NULL;
                  self->a_pinned[index] = TRUE;
                }
            }
        }
    }
  if (prov)
    self->provenance = json_object_ref (prov);

  if (!fb_precision_config_validate (self, error))
    {
      g_prefix_error (error, "%s: ", origin);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* Every error of this loader on one line, whatever the file quotes (issue 20). */
FbPrecisionConfig *
fb_precision_config_new_from_json (FbNetwork *network, JsonNode *root, const char *origin, GError **error)
{
  FbPrecisionConfig *result = config_from_json (network, root, origin, error);
  if (result == NULL)
    fb_error_one_line (error);
  return result;
}

FbPrecisionConfig *
fb_precision_config_load (FbNetwork *network, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_json_load_file (path, error);
  if (root == NULL)
    return NULL;
  return fb_precision_config_new_from_json (network, root, path, error);
}

JsonNode *
fb_precision_config_to_json (FbPrecisionConfig *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  FbNetwork *net = self->network;

  json_builder_begin_object (b);
  fb_json_add_string (b, "format", "freebits-config/1");
  fb_json_add_string (b, "network", fb_network_get_name (net));
  fb_json_add_string (b, "network_sha256", fb_network_get_sha256 (net));

  json_builder_set_member_name (b, "weights");
  json_builder_begin_object (b);
  for (guint i = 0; i < self->n_layers; i++)
    if (self->w_bits[i] != 0)
      fb_json_add_int (b, fb_network_get_layer (net, i)->name, self->w_bits[i]);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "activations");
  json_builder_begin_object (b);
  for (guint i = 0; i < self->n_tensors; i++)
    if (fb_network_get_tensor (net, i)->kind == FB_TENSOR_ACTIVATION)
      fb_json_add_int (b, fb_network_get_tensor (net, i)->name, self->a_bits[i]);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "pinned");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "weights");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->n_layers; i++)
    if (self->w_pinned[i])
      json_builder_add_string_value (b, fb_network_get_layer (net, i)->name);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "activations");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->n_tensors; i++)
    if (self->a_pinned[i])
      json_builder_add_string_value (b, fb_network_get_tensor (net, i)->name);
  json_builder_end_array (b);
  json_builder_end_object (b);

  if (self->provenance)
    {
      JsonNode *node = json_node_init_object (json_node_alloc (), self->provenance);
      json_builder_set_member_name (b, "provenance");
      json_builder_add_value (b, node);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
fb_precision_config_save (FbPrecisionConfig *self, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_precision_config_to_json (self);
  return fb_json_save_file (root, path, error);
}

char *
fb_precision_config_to_string (FbPrecisionConfig *self)
{
  GString *s = g_string_new ("w");

  for (guint i = 0; i < self->n_layers; i++)
    if (self->w_bits[i] != 0)
      g_string_append_printf (s, " %u", self->w_bits[i]);
  g_string_append (s, " | a");
  for (guint i = 0; i < self->n_tensors; i++)
    if (fb_network_get_tensor (self->network, i)->kind == FB_TENSOR_ACTIVATION)
      g_string_append_printf (s, " %u", self->a_bits[i]);
  return g_string_free (s, FALSE);
}
