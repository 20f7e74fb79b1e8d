/* fb-latency-table.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-json.h"
#include "fb-names.h"
#include "fb-latency-table.h"

typedef struct {
  char       *name;
  GHashTable *cost;    /* key → double* */
  GHashTable *spread;  /* key → double*, may be empty */
} LayerEntry;

struct _FbLatencyTable {
  gatomicrefcount  ref;
  char            *target;
  FbLatencyUnit    unit;
  FbLatencyMethod  method;
  double           clock_hz;
  char            *network;
  char            *network_sha256;
  JsonObject      *provenance;
  GPtrArray       *layers;        /* LayerEntry*, insertion order */
  GHashTable      *layer_by_name;
};

static const char *unit_names[] = { "cycles", "instructions", "us" };
static const char *method_names[] = { "measured", "modeled", "imported" };

FB_NAMES_DEFINE (FbLatencyUnit, fb_latency_unit, unit_names)

FB_NAMES_DEFINE (FbLatencyMethod, fb_latency_method, method_names)

static void
layer_entry_free (gpointer data)
{
  LayerEntry *e = data;
  g_free (e->name);
  g_hash_table_unref (e->cost);
  g_hash_table_unref (e->spread);
  g_free (e);
}

FbLatencyTable *
fb_latency_table_new (const char *target, FbLatencyUnit unit, FbLatencyMethod method)
{
  FbLatencyTable *self = g_new0 (FbLatencyTable, 1);

  g_atomic_ref_count_init (&self->ref);
  self->target = g_strdup (target);
  self->unit = unit;
  self->method = method;
  self->layers = g_ptr_array_new_with_free_func (layer_entry_free);
  self->layer_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

FbLatencyTable *
fb_latency_table_ref (FbLatencyTable *self)
{
  g_atomic_ref_count_inc (&self->ref);
  return self;
}

void
fb_latency_table_unref (FbLatencyTable *self)
{
  if (self == NULL || !g_atomic_ref_count_dec (&self->ref))
    return;
  g_hash_table_unref (self->layer_by_name);
  g_ptr_array_unref (self->layers);
  g_clear_pointer (&self->provenance, json_object_unref);
  g_free (self->target);
  g_free (self->network);
  g_free (self->network_sha256);
  g_free (self);
}

const char *fb_latency_table_get_target (FbLatencyTable *self) { return self->target; }
FbLatencyUnit fb_latency_table_get_unit (FbLatencyTable *self) { return self->unit; }
FbLatencyMethod fb_latency_table_get_method (FbLatencyTable *self) { return self->method; }
double fb_latency_table_get_clock_hz (FbLatencyTable *self) { return self->clock_hz; }
void fb_latency_table_set_clock_hz (FbLatencyTable *self, double hz) { self->clock_hz = hz; }
const char *fb_latency_table_get_network (FbLatencyTable *self) { return self->network; }
const char *fb_latency_table_get_network_sha256 (FbLatencyTable *self) { return self->network_sha256; }
JsonObject *fb_latency_table_get_provenance (FbLatencyTable *self) { return self->provenance; }

void
fb_latency_table_set_network (FbLatencyTable *self, FbNetwork *network)
{
  g_free (self->network);
  g_free (self->network_sha256);
  self->network = g_strdup (fb_network_get_name (network));
  self->network_sha256 = g_strdup (fb_network_get_sha256 (network));
}

void
fb_latency_table_set_provenance (FbLatencyTable *self, JsonObject *provenance)
{
  if (provenance)
    json_object_ref (provenance);
  g_clear_pointer (&self->provenance, json_object_unref);
  self->provenance = provenance;
}

static LayerEntry *
ensure_layer (FbLatencyTable *self, const char *layer)
{
  LayerEntry *e = g_hash_table_lookup (self->layer_by_name, layer);
  if (e == NULL)
    {
      e = g_new0 (LayerEntry, 1);
      e->name = g_strdup (layer);
      e->cost = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      e->spread = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_ptr_array_add (self->layers, e);
      g_hash_table_insert (self->layer_by_name, e->name, e);
    }
  return e;
}

void
fb_latency_table_set_cost (FbLatencyTable *self, const char *layer, const char *key, double cost)
{
  LayerEntry *e = ensure_layer (self, layer);
  g_hash_table_insert (e->cost, g_strdup (key), g_memdup2 (&cost, sizeof cost));
}

void
fb_latency_table_set_spread (FbLatencyTable *self, const char *layer, const char *key, double spread)
{
  LayerEntry *e = ensure_layer (self, layer);
  g_hash_table_insert (e->spread, g_strdup (key), g_memdup2 (&spread, sizeof spread));
}

static gboolean
lookup_in (FbLatencyTable *self, gboolean spread, const char *layer, const char *key, double *out)
{
  LayerEntry *e = g_hash_table_lookup (self->layer_by_name, layer);
  double *v;
  if (e == NULL)
    return FALSE;
  v = g_hash_table_lookup (spread ? e->spread : e->cost, key);
  if (v == NULL)
    return FALSE;
  *out = *v;
  return TRUE;
}

gboolean
fb_latency_table_lookup (FbLatencyTable *self, const char *layer, const char *key, double *cost)
{
  return lookup_in (self, FALSE, layer, key, cost);
}

gboolean
fb_latency_table_lookup_spread (FbLatencyTable *self, const char *layer, const char *key, double *spread)
{
  return lookup_in (self, TRUE, layer, key, spread);
}

GPtrArray *
fb_latency_table_get_layers (FbLatencyTable *self)
{
  GPtrArray *names = g_ptr_array_new ();
  for (guint i = 0; i < self->layers->len; i++)
    g_ptr_array_add (names, ((LayerEntry *) g_ptr_array_index (self->layers, i))->name);
  return names;
}

/* Within one layer all keys share one shape, so reverse string order puts
 * 8 before 4 before 2 ("o32" never meets "o8" in the same layer). */
static int
key_compare (gconstpointer a, gconstpointer b)
{
  return -strcmp (*(const char **) a, *(const char **) b);
}

char **
fb_latency_table_get_keys (FbLatencyTable *self, const char *layer)
{
  LayerEntry *e = g_hash_table_lookup (self->layer_by_name, layer);
  GPtrArray *keys = g_ptr_array_new ();

  if (e != NULL)
    {
      GHashTableIter iter;
      gpointer k;
      g_hash_table_iter_init (&iter, e->cost);
      while (g_hash_table_iter_next (&iter, &k, NULL))
        g_ptr_array_add (keys, g_strdup (k));
      g_ptr_array_sort (keys, key_compare);
    }
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}

static gboolean
bits_char_ok (const char *p, gboolean allow32, const char **end)
{
  if (allow32 && p[0] == '3' && p[1] == '2')
    {
      *end = p + 2;
      return TRUE;
    }
  if (*p == '8' || *p == '4' || *p == '2')
    {
      *end = p + 1;
      return TRUE;
    }
  return FALSE;
}

/* An operand: its role letter ('a' input, 'b' second input, 'o' output) or
 * 'i' when it is signed, then its bits. */
static gboolean
operand_ok (const char **p, char role, gboolean allow32)
{
  if (**p != role && **p != 'i')
    return FALSE;
  /* int32 logits are always written "o32". */
  if ((*p)[0] == 'i' && (*p)[1] == '3')
    return FALSE;
  return bits_char_ok (*p + 1, allow32, p);
}

gboolean
fb_latency_key_is_valid (const char *key)
{
  const char *p = key;

  if (!operand_ok (&p, 'a', FALSE))
    return FALSE;
  if (*p == 'w')
    {
      p++;
      if (!bits_char_ok (p, FALSE, &p) || !operand_ok (&p, 'o', TRUE))
        return FALSE;
      return *p == '\0';
    }
  /* pool: the output follows directly; add: a second input, then the output. */
  {
    const char *q = p;
    if (operand_ok (&q, 'o', FALSE) && *q == '\0')
      return TRUE;
  }
  return operand_ok (&p, 'b', FALSE) && operand_ok (&p, 'o', FALSE) && *p == '\0';
}

gboolean
fb_latency_key_parse (const char *key, guint *in_bits, guint *mid_bits, guint *out_bits)
{
  guint v[3] = { 0, 0, 0 }, n = 0;

  if (key == NULL || !fb_latency_key_is_valid (key))
    return FALSE;
  for (const char *p = key; *p != '\0' && n < 3;)
    {
      char *end;
      v[n++] = (guint) g_ascii_strtoull (p + 1, &end, 10);
      p = end;
    }
  *in_bits = v[0];
  *mid_bits = n == 3 ? v[1] : 0;
  *out_bits = v[n - 1];
  return TRUE;
}

void
fb_latency_format_key (FbNetwork *network, guint layer, guint in_bits, guint mid_bits, guint out_bits,
                       char *buf)
{
  const FbLayer *l = fb_network_get_layer (network, layer);
  const FbTensor *out = fb_network_get_tensor (network, l->output);
  char a = fb_network_tensor_is_signed (network, l->inputs[0]) ? 'i' : 'a';
  char o = out->kind != FB_TENSOR_LOGITS && out->is_signed ? 'i' : 'o';

  if (l->op == FB_OP_ADD)
    g_snprintf (buf, FB_LATENCY_KEY_MAX, "%c%u%c%u%c%u", a, in_bits,
                fb_network_tensor_is_signed (network, l->inputs[1]) ? 'i' : 'b', mid_bits, o, out_bits);
  else if (fb_layer_is_pool (l))
    g_snprintf (buf, FB_LATENCY_KEY_MAX, "%c%u%c%u", a, in_bits, o, out_bits);
  else
    g_snprintf (buf, FB_LATENCY_KEY_MAX, "%c%uw%u%c%u", a, in_bits, mid_bits, o, out_bits);
}

void
fb_latency_key_for_layer (FbPrecisionConfig *config, guint layer, char *buf)
{
  FbNetwork *net = fb_precision_config_get_network (config);
  const FbLayer *l = fb_network_get_layer (net, layer);
  guint a = fb_precision_config_get_tensor_bits (config, l->inputs[0]);
  guint o = fb_precision_config_get_tensor_bits (config, l->output);
  guint mid = l->op == FB_OP_ADD
    ? fb_precision_config_get_tensor_bits (config, l->inputs[1])
    : fb_precision_config_get_weight_bits (config, layer);

  fb_latency_format_key (net, layer, a, mid, o, buf);
}

char **
fb_latency_admissible_keys (FbNetwork *network, guint layer)
{
  static const guint bits[] = { 8, 4, 2 };
  const FbLayer *l = fb_network_get_layer (network, layer);
  GPtrArray *keys = g_ptr_array_new ();
  char buf[FB_LATENCY_KEY_MAX];

  for (guint i = 0; i < G_N_ELEMENTS (bits); i++)
    {
      if (!fb_network_tensor_admits_bits (network, l->inputs[0], bits[i]))
        continue;
      if (fb_layer_is_pool (l))
        {
          fb_latency_format_key (network, layer, bits[i], 0, bits[i], buf);
          g_ptr_array_add (keys, g_strdup (buf));
          continue;
        }
      for (guint j = 0; j < G_N_ELEMENTS (bits); j++)
        {
          gboolean mid_ok = l->op == FB_OP_ADD
            ? fb_network_tensor_admits_bits (network, l->inputs[1], bits[j])
            : fb_network_layer_admits_weight_bits (network, layer, bits[j]);
          if (!mid_ok)
            continue;
          if (fb_network_get_tensor (network, l->output)->kind == FB_TENSOR_LOGITS)
            {
              fb_latency_format_key (network, layer, bits[i], bits[j], FB_BITS_LOGITS, buf);
              g_ptr_array_add (keys, g_strdup (buf));
              continue;
            }
          for (guint k = 0; k < G_N_ELEMENTS (bits); k++)
            if (fb_network_tensor_admits_bits (network, l->output, bits[k]))
              {
                fb_latency_format_key (network, layer, bits[i], bits[j], bits[k], buf);
                g_ptr_array_add (keys, g_strdup (buf));
              }
        }
    }
  g_ptr_array_add (keys, NULL);
  return (char **) g_ptr_array_free (keys, FALSE);
}

gboolean
fb_latency_table_check_network (FbLatencyTable *self, FbNetwork *network, GError **error)
{
  if (self->network_sha256 != NULL &&
      g_ascii_strcasecmp (self->network_sha256, fb_network_get_sha256 (network)) != 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISMATCH,
                   _("latency table for target %s was made for network \"%s\", not for \"%s\" (topology differs)"),
                   self->target, self->network ? self->network : "?", fb_network_get_name (network));
      return FALSE;
    }
  return TRUE;
}

gboolean
fb_latency_table_layer_cost (FbLatencyTable *self, FbPrecisionConfig *config, guint layer,
                             double *cost, GError **error)
{
  char key[FB_LATENCY_KEY_MAX];
  const FbLayer *l = fb_network_get_layer (fb_precision_config_get_network (config), layer);

  fb_latency_key_for_layer (config, layer, key);
  if (!fb_latency_table_lookup (self, l->name, key, cost))
    {
      if (!g_hash_table_contains (self->layer_by_name, l->name))
        g_set_error (error, FB_ERROR, FB_ERROR_MISSING,
                     _("latency table (%s) has no entry for layer \"%s\" (needed: key \"%s\")"),
                     self->target, l->name, key);
      else
        g_set_error (error, FB_ERROR, FB_ERROR_MISSING,
                     _("latency table (%s) has no cost for layer \"%s\" key \"%s\""), self->target, l->name, key);
      return FALSE;
    }
  return TRUE;
}

/* The target and network names are quoted in later messages (a missing layer, another
 * network), which must stay one line (fuzz-latency: a target with a newline). */
static gboolean
one_line_field (const char *member, const char *value, const char *origin, GError **error)
{
  for (const char *p = value; p != NULL && *p != '\0'; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     "%s: field \"%s\": control character 0x%02x in a name", origin, member, (guchar) *p);
        return FALSE;
      }
  return TRUE;
}

static FbLatencyTable *
latency_table_from_json (JsonNode *root, const char *origin, GError **error)
{
  g_autoptr(FbLatencyTable) self = NULL;
  JsonObject *obj, *layers, *spread, *prov;
  const char *target, *unit_s, *method_s, *network, *sha;
  FbLatencyUnit unit;
  FbLatencyMethod method;
  double clock = 0;

  obj = fb_json_root_object (root, "freebits-latency", origin, error);
  if (obj == NULL)
    return NULL;
  {
    static const char *known[] = { "format", "network", "network_sha256", "target", "unit", "clock_hz",
                                   "method", "provenance", "layers", "spread", NULL };
    if (!fb_json_check_members (obj, origin, known, error))
      return NULL;
  }
  if (!fb_json_get_string (obj, "target", origin, TRUE, &target, error) ||
      !fb_json_get_string (obj, "unit", origin, TRUE, &unit_s, error) ||
      !fb_json_get_string (obj, "method", origin, TRUE, &method_s, error) ||
      !fb_json_get_string (obj, "network", origin, FALSE, &network, error) ||
      !fb_json_get_string (obj, "network_sha256", origin, FALSE, &sha, error) ||
      !fb_json_get_object (obj, "layers", origin, TRUE, &layers, error) ||
      !fb_json_get_object (obj, "spread", origin, FALSE, &spread, error) ||
      !fb_json_get_object (obj, "provenance", origin, FALSE, &prov, error))
    return NULL;
  if (!one_line_field ("target", target, origin, error) || !one_line_field ("network", network, origin, error))
    return NULL;
  if (json_object_has_member (obj, "clock_hz") && !json_object_get_null_member (obj, "clock_hz"))
    {
      if (!fb_json_get_number (obj, "clock_hz", origin, TRUE, &clock, error))
        return NULL;
      if (clock < 0)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"clock_hz\" must not be negative"), origin);
          return NULL;
        }
    }
  if (!fb_latency_unit_from_string (unit_s, &unit))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"unit\": \"%s\" is not one of cycles, instructions, us"), origin, unit_s);
      return NULL;
    }
  if (!fb_latency_method_from_string (method_s, &method))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"method\": \"%s\" is not one of measured, modeled, imported"), origin, method_s);
      return NULL;
    }
  self = fb_latency_table_new (target, unit, method);
  self->clock_hz = clock;
  self->network = g_strdup (network);
  self->network_sha256 = g_strdup (sha);
  if (prov)
    self->provenance = json_object_ref (prov);

  for (guint pass = 0; pass < 2; pass++)
    {
      JsonObject *section = pass == 0 ? layers : spread;
      const char *section_name = pass == 0 ? "layers" : "spread";
      g_autoptr(GList) names = section ? json_object_get_members (section) : NULL;

      for (GList *n = names; n; n = n->next)
        {
          g_autofree char *where = g_strdup_printf ("%s: %s.%s", origin, section_name, (char *) n->data);
          JsonNode *node = json_object_get_member (section, n->data);
          JsonObject *entries;
          g_autoptr(GList) keys = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: expected an object of key → cost, got %s"),
                           where, fb_json_node_describe (node));
              return NULL;
            }
          entries = json_node_get_object (node);
          keys = json_object_get_members (entries);
          for (GList *k = keys; k; k = k->next)
            {
              double v = 0;
              if (!fb_latency_key_is_valid (k->data))
                {
                  g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                               _("%s: key \"%s\" is not of the form a8w4o8, a8b8o4 or a8o8"), where, (char *) k->data);
                  return NULL;
                }
              if (!fb_json_get_number (entries, k->data, where, TRUE, &v, error))
                return NULL;
              if (v < 0)
                {
                  g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: key \"%s\": cost %g is negative"),
                               where, (char *) k->data, v);
                  return NULL;
                }
              if (pass == 0)
                fb_latency_table_set_cost (self, n->data, k->data, v);
              else
                fb_latency_table_set_spread (self, n->data, k->data, v);
            }
        }
    }
  return g_steal_pointer (&self);
}

/* Every error of this loader on one line, whatever the file quotes (issue 20). */
FbLatencyTable *
fb_latency_table_new_from_json (JsonNode *root, const char *origin, GError **error)
{
  FbLatencyTable *result = latency_table_from_json (root, origin, error);
  if (result == NULL)
    fb_error_one_line (error);
  return result;
}

FbLatencyTable *
fb_latency_table_load (const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_json_load_file (path, error);
  if (root == NULL)
    return NULL;
  return fb_latency_table_new_from_json (root, path, error);
}

static void
add_section (FbLatencyTable *self, JsonBuilder *b, gboolean spread)
{
  for (guint i = 0; i < self->layers->len; i++)
    {
      LayerEntry *e = g_ptr_array_index (self->layers, i);
      GHashTable *h = spread ? e->spread : e->cost;
      g_autofree gpointer *keys = NULL;
      guint n_keys = 0;

      if (g_hash_table_size (h) == 0)
        continue;
      keys = g_hash_table_get_keys_as_array (h, &n_keys);
      qsort (keys, n_keys, sizeof (char *), key_compare);
      json_builder_set_member_name (b, e->name);
      json_builder_begin_object (b);
      for (guint k = 0; k < n_keys; k++)
        {
          double v = *(double *) g_hash_table_lookup (h, keys[k]);
          json_builder_set_member_name (b, keys[k]);
          /* Integral counts (instructions, cycles) stay integers in the file. */
          if (v == floor (v) && fabs (v) < 9e15)
            json_builder_add_int_value (b, (gint64) v);
          else
            json_builder_add_double_value (b, v);
        }
      json_builder_end_object (b);
    }
}

JsonNode *
fb_latency_table_to_json (FbLatencyTable *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  gboolean any_spread = FALSE;

  json_builder_begin_object (b);
  fb_json_add_string (b, "format", "freebits-latency/1");
  if (self->network)
    fb_json_add_string (b, "network", self->network);
  if (self->network_sha256)
    {
      fb_json_add_string (b, "network_sha256", self->network_sha256);
    }
  fb_json_add_string (b, "target", self->target);
  fb_json_add_string (b, "unit", fb_latency_unit_to_string (self->unit));
  json_builder_set_member_name (b, "clock_hz");
  if (self->clock_hz > 0)
    json_builder_add_double_value (b, self->clock_hz);
  else
    json_builder_add_null_value (b);
  fb_json_add_string (b, "method", fb_latency_method_to_string (self->method));
  if (self->provenance)
    {
      json_builder_set_member_name (b, "provenance");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), self->provenance));
    }
  json_builder_set_member_name (b, "layers");
  json_builder_begin_object (b);
  add_section (self, b, FALSE);
  json_builder_end_object (b);
  for (guint i = 0; i < self->layers->len; i++)
    any_spread |= g_hash_table_size (((LayerEntry *) g_ptr_array_index (self->layers, i))->spread) > 0;
  if (any_spread)
    {
      json_builder_set_member_name (b, "spread");
      json_builder_begin_object (b);
      add_section (self, b, TRUE);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

gboolean
fb_latency_table_save (FbLatencyTable *self, const char *path, GError **error)
{
  g_autoptr(JsonNode) root = fb_latency_table_to_json (self);
  return fb_json_save_file (root, path, error);
}
