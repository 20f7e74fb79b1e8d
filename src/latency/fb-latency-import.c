/* fb-latency-import.c — latency tables measured elsewhere, from CSV.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "fb-build-config.h"
#include "fb-error.h"
#include "fb-file.h"
#include "fb-latency-import.h"

enum { COL_LAYER, COL_A, COL_W, COL_O, COL_COST, N_COLS };
static const char *const col_names[N_COLS] = { "layer", "a_bits", "w_bits", "o_bits", "cost" };

#define MAX_LISTED 40

static char *
field_clean (const char *f)
{
  char *s = g_strstrip (g_strdup (f));
  gsize n = strlen (s);
  if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
    {
      memmove (s, s + 1, n - 2);
      s[n - 2] = '\0';
      g_strstrip (s);
    }
  return s;
}

static gboolean
parse_bits (const char *origin, guint line, const char *col, const char *note, const char *text,
            gboolean allow32, guint *bits, GError **error)
{
  if (g_str_equal (text, "8") || g_str_equal (text, "4") || g_str_equal (text, "2")
      || (allow32 && g_str_equal (text, "32")))
    {
      *bits = (guint) g_ascii_strtoull (text, NULL, 10);
      return TRUE;
    }
  g_set_error (error, FB_ERROR, FB_ERROR_BITS, _("%s:%u: column \"%s\"%s: %s%s%s is not %s"),
               origin, line, col, note, *text ? "\"" : "", *text ? text : "empty value", *text ? "\"" : "",
               allow32 ? "32 (the classifier's int32 logits)" : "8, 4 or 2");
  return FALSE;
}

static char *
join_keys (char **keys)
{
  return g_strjoinv (", ", keys);
}

/* The header line: which column is where (col_index[COL_…]). */
static gboolean
parse_header (GPtrArray *f, const char *origin, guint line, int col_index[N_COLS], GError **error)
{
  for (guint c = 0; c < f->len; c++)
    {
      const char *name = g_ptr_array_index (f, c);
      guint k;
      for (k = 0; k < N_COLS; k++)
        if (g_ascii_strcasecmp (name, col_names[k]) == 0)
          break;
      if (k == N_COLS)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                       _("%s:%u: header: unknown column \"%s\" (expected the columns "
                         "layer,a_bits,w_bits,o_bits,cost)"), origin, line, name);
          return FALSE;
        }
      if (col_index[k] >= 0)
        {
          g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                       _("%s:%u: header: column \"%s\" appears twice"), origin, line,
                       col_names[k]);
          return FALSE;
        }
      col_index[k] = (int) c;
    }
  for (guint k = 0; k < N_COLS; k++)
    if (col_index[k] < 0)
      {
        g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                     _("%s:%u: header: missing column \"%s\" (the first line must name "
                       "the columns layer,a_bits,w_bits,o_bits,cost)"), origin, line,
                     col_names[k]);
        return FALSE;
      }
  return TRUE;
}

/* One row: a layer, its key's bit-widths and the cost, checked against the
 * network; its cost goes to @costs under "layer\nkey", its line to @seen. */
static gboolean
parse_row (FbNetwork  *network,
           GPtrArray  *f,
           const int   col_index[N_COLS],
           guint       n_header,
           const char *origin,
           guint       line,
           GHashTable *seen,
           GHashTable *costs,
           GError    **error)
{
  const FbLayer *layer;
  guint a = 0, w = 0, o = 0;
  double cost;
  char *end;
  char key[FB_LATENCY_KEY_MAX];
  g_auto (GStrv) admissible = NULL;
  gboolean ok_key = FALSE;
  char *id;

  if (f->len != n_header)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE, _("%s:%u: expected %u fields, got %u"),
                   origin, line, n_header, f->len);
      return FALSE;
    }
#define FIELD(c) ((const char *) g_ptr_array_index (f, col_index[c]))
  layer = fb_network_lookup_layer (network, FIELD (COL_LAYER));
  if (layer == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_MISSING,
                   _("%s:%u: column \"layer\": network \"%s\" has no layer \"%s\""), origin,
                   line, fb_network_get_name (network), FIELD (COL_LAYER));
      return FALSE;
    }
  if (!parse_bits (origin, line, "a_bits", "", FIELD (COL_A), FALSE, &a, error))
    return FALSE;
  if (fb_layer_is_pool (layer))
    {
      if (*FIELD (COL_W) != '\0')
        {
          g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                       _("%s:%u: column \"w_bits\": must be empty for the pool \"%s\", "
                         "got \"%s\""), origin, line, layer->name, FIELD (COL_W));
          return FALSE;
        }
    }
  else if (!parse_bits (origin, line, "w_bits",
                        layer->op == FB_OP_ADD ? " (the add's second input)" : "",
                        FIELD (COL_W), FALSE, &w, error))
    return FALSE;
  if (fb_network_get_tensor (network, layer->output)->kind == FB_TENSOR_LOGITS)
    {
      if (!g_str_equal (FIELD (COL_O), "32"))
        {
          g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                       _("%s:%u: column \"o_bits\": the classifier \"%s\" writes int32 "
                         "logits, so o_bits must be 32, got \"%s\""), origin, line,
                       layer->name, FIELD (COL_O));
          return FALSE;
        }
      o = 32;
    }
  else if (!parse_bits (origin, line, "o_bits", "", FIELD (COL_O), FALSE, &o, error))
    return FALSE;
  if (fb_layer_is_pool (layer) && o != a)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                   _("%s:%u: column \"o_bits\": a pool keeps its input's "
                     "bits, so o_bits must be %u, got %u"), origin, line, a, o);
      return FALSE;
    }
  cost = g_ascii_strtod (FIELD (COL_COST), &end);
  if (*FIELD (COL_COST) == '\0' || *end != '\0' || !isfinite (cost) || cost < 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s:%u: column \"cost\": \"%s\" is not a non-negative number"), origin,
                   line, FIELD (COL_COST));
      return FALSE;
    }
#undef FIELD
  /* the core spells the key, signed operands included (i8w4i8, …) */
  fb_latency_format_key (network, layer->index, a, w, o, key);
  admissible = fb_latency_admissible_keys (network, layer->index);
  for (char **k = admissible; *k != NULL; k++)
    ok_key |= g_str_equal (*k, key);
  if (!ok_key)
    {
      g_autofree char *list = join_keys (admissible);
      g_set_error (error, FB_ERROR, FB_ERROR_BITS,
                   _("%s:%u: layer \"%s\" does not admit %s (channel packing); its keys are "
                     "%s"), origin, line, layer->name, key, list);
      return FALSE;
    }
  id = g_strdup_printf ("%s\n%s", layer->name, key);
  if (g_hash_table_contains (seen, id))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s:%u: layer \"%s\" key %s was already given on line %u"), origin, line,
                   layer->name, key, GPOINTER_TO_UINT (g_hash_table_lookup (seen, id)));
      g_free (id);
      return FALSE;
    }
  g_hash_table_insert (seen, id, GUINT_TO_POINTER (line));
  g_hash_table_insert (costs, g_strdup (id), g_memdup2 (&cost, sizeof cost));
  return TRUE;
}

/* Every admissible key of every layer, in network order, into @table; the
 * error lists the missing ones. */
static gboolean
fill_table (FbLatencyTable *table, FbNetwork *network, GHashTable *costs, const char *origin, GError **error)
{
  guint n_layers = fb_network_get_n_layers (network);

  {
    GString *missing = g_string_new (NULL);
    guint n_missing = 0;
    for (guint l = 0; l < n_layers; l++)
      {
        const FbLayer *layer = fb_network_get_layer (network, l);
        g_auto (GStrv) keys = fb_latency_admissible_keys (network, l);
        gboolean layer_listed = FALSE;
        for (char **k = keys; *k != NULL; k++)
          {
            g_autofree char *id = g_strdup_printf ("%s\n%s", layer->name, *k);
            double *c = g_hash_table_lookup (costs, id);
            if (c != NULL)
              {
                fb_latency_table_set_cost (table, layer->name, *k, *c);
                continue;
              }
            if (n_missing < MAX_LISTED)
              {
                if (!layer_listed)
                  g_string_append_printf (missing, "%s%s: ", missing->len ? "; " : "",
                                          layer->name);
                else
                  g_string_append (missing, ", ");
                g_string_append (missing, *k);
                layer_listed = TRUE;
              }
            n_missing++;
          }
      }
    if (n_missing > 0)
      {
        if (n_missing > MAX_LISTED)
          g_string_append_printf (missing, "; … and %u more", n_missing - MAX_LISTED);
        g_set_error (error, FB_ERROR, FB_ERROR_MISSING,
                     _("%s: missing %u admissible key%s of network \"%s\": %s"), origin, n_missing,
                     n_missing == 1 ? "" : "s", fb_network_get_name (network), missing->str);
        g_string_free (missing, TRUE);
        return FALSE;
      }
    g_string_free (missing, TRUE);
  }
  return TRUE;
}

static FbLatencyTable *
import_csv (FbNetwork *network, const char *data, gssize length, const char *origin,
            const char *target, FbLatencyUnit unit, GError **error)
{
  g_autofree char *text = g_strndup (data, length < 0 ? strlen (data) : (gsize) length);
  g_auto (GStrv) lines = NULL;
  int col_index[N_COLS];
  guint n_header = 0, header_line = 0;
  /* "layer\nkey" → line number */
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) costs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (FbLatencyTable) table = NULL;

  if (target == NULL || *target == '\0')
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: no target name given"), origin);
      return NULL;
    }
  g_strdelimit (text, "\r", '\n');
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; i < N_COLS; i++)
    col_index[i] = -1;

  for (guint li = 0; lines[li] != NULL; li++)
    {
      guint line = li + 1;
      g_autofree char *stripped = g_strstrip (g_strdup (lines[li]));
      g_auto (GStrv) raw = NULL;
      g_autoptr (GPtrArray) f = g_ptr_array_new_with_free_func (g_free);

      if (*stripped == '\0' || *stripped == '#')
        continue;
      raw = g_strsplit (stripped, ",", -1);
      for (char **r = raw; *r != NULL; r++)
        g_ptr_array_add (f, field_clean (*r));

      if (header_line == 0)
        {
          header_line = line;
          n_header = f->len;
          if (!parse_header (f, origin, line, col_index, error))
            return NULL;
          continue;
        }
      if (!parse_row (network, f, col_index, n_header, origin, line, seen, costs, error))
        return NULL;
    }
  if (header_line == 0)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                   _("%s: empty; expected a header line layer,a_bits,w_bits,o_bits,cost and one "
                     "row per layer and key"), origin);
      return NULL;
    }

  /* every admissible key of every layer, in network order */
  table = fb_latency_table_new (target, unit, FB_LATENCY_METHOD_IMPORTED);
  if (!fill_table (table, network, costs, origin, error))
    return NULL;
  fb_latency_table_set_network (table, network);
  {
    g_autoptr (JsonObject) prov = json_object_new ();
    g_autofree char *base = g_path_get_basename (origin);
    json_object_set_string_member (prov, "tool", "freebits-cli " FB_VERSION);
    json_object_set_string_member (prov, "target", target);
    json_object_set_string_member (prov, "source", base);
    fb_latency_table_set_provenance (table, prov);
  }
  return g_steal_pointer (&table);
}

/* Every error of this loader on one line, whatever the file quotes (issue 20). */
FbLatencyTable *
fb_latency_import_csv (FbNetwork *network, const char *data, gssize length, const char *origin,
                       const char *target, FbLatencyUnit unit, GError **error)
{
  FbLatencyTable *result = import_csv (network, data, length, origin, target, unit, error);
  if (result == NULL)
    fb_error_one_line (error);
  return result;
}

FbLatencyTable *
fb_latency_import_csv_file (FbNetwork *network, const char *path, const char *target,
                            FbLatencyUnit unit, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!fb_file_read (path, FB_FILE_MAX_CSV, "a CSV file", &data, &len, error))
    return NULL;
  if (!g_utf8_validate (data, (gssize) len, NULL))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE, _("%s: not UTF-8 text"), path);
      return NULL;
    }
  return fb_latency_import_csv (network, data, (gssize) len, path, target, unit, error);
}
