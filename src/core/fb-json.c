/* fb-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <inttypes.h>
#include <glib/gi18n-lib.h>

#include "fb-error.h"
#include "fb-file.h"
#include "fb-json.h"

static gint
hex4 (const char *data, gsize length, gsize at)
{
  gint v = 0;

  if (at + 4 > length)
    return -1;
  for (gsize k = at; k < at + 4; k++)
    {
      if (!g_ascii_isxdigit (data[k]))
        return -1;
      v = v * 16 + g_ascii_xdigit_value (data[k]);
    }
  return v;
}

/* json-glib's scanner also takes GScanner's escapes (\NNN octal, any \X), which put
 * bytes that are not UTF-8 into strings; and a lone UTF-16 surrogate (\uD800) decodes to
 * no character. Accept JSON's escapes only. @at is the character after the backslash;
 * @line/@col locate the string. Sets *n to how many characters the escape takes after the
 * backslash, or returns FALSE with @error set. */
static gboolean
check_escape_at (const char *data, gsize length, gsize at, const char *origin, guint line, guint col,
                 gsize *n, GError **error)
{
  gint u, low;

  if (at < length && data[at] != '\0' && strchr ("\"\\/bfnrt", data[at]) != NULL)
    return *n = 1, TRUE;
  if (at < length && data[at] == 'u' && (u = hex4 (data, length, at + 1)) >= 0)
    {
      if (u < 0xD800 || u > 0xDFFF)
        return *n = 5, TRUE;
      if (u <= 0xDBFF && at + 6 < length && data[at + 5] == '\\' && data[at + 6] == 'u' &&
          (low = hex4 (data, length, at + 7)) >= 0xDC00 && low <= 0xDFFF)
        return *n = 11, TRUE;
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                   _("%s:%u:%u: a string has a lone UTF-16 surrogate \\u%04X"), origin, line, col, u);
      return FALSE;
    }
  g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
               _("%s:%u:%u: a string has an invalid escape (JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"),
               origin, line, col);
  return FALSE;
}

/* One walk over JSON text, before and after json-glib parses it.
 *
 * Before (SCAN_BEFORE_PARSE): json-glib's parser recurses once per nesting
 * level, so 100 000 '[' overflow the stack; count the depth first. Real
 * freebits files nest fewer than 10 levels. Strings are checked for the
 * escapes json-glib would take but JSON does not (check_escape); an
 * unterminated string is json-glib's to report.
 *
 * After (SCAN_AFTER_PARSE): json-glib silently wraps integers beyond 64 bits
 * (e.g. to -1), so a huge number would pass as a small one; find such
 * literals in the text. The walk tracks the member each nesting level
 * belongs to so the message names the field.
 *
 * Columns count characters, like json-glib's. */
#define HUGE_SCAN_MAX_DEPTH 64

typedef enum {
  SCAN_BEFORE_PARSE,
  SCAN_AFTER_PARSE,
} ScanMode;

/* Reports the integer literal at data[start..end] if it has more than 18 digits. */
static gboolean
check_integer (const char *data, gsize length, gsize start, gsize end, const char *origin, guint line,
               guint col, const char *key, gsize key_len, GError **error)
{
  gboolean negative = start > 0 && data[start - 1] == '-';

  if (end - start + 1 > 18 && !(end + 1 < length && (data[end + 1] == '.' || data[end + 1] == 'e' || data[end + 1] == 'E')) &&
      !(start > 0 && (data[start - 1] == '.' || data[start - 1] == 'e' || data[start - 1] == 'E' ||
                      ((data[start - 1] == '-' || data[start - 1] == '+') && start > 1 &&
                       (data[start - 2] == 'e' || data[start - 2] == 'E')))))
    {
      g_autofree char *field = NULL;
      guint ncol = negative ? col - 1 : col;

      if (key != NULL)
        field = g_strdup_printf ("field \"%.*s\": ", (int) MIN (key_len, 128), key);
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s:%u:%u: %snumber %s%.*s%s is too large (at most 18 digits)"),
                   origin, line, ncol, field ? field : "", negative ? "-" : "",
                   (int) MIN (end - start + 1, 24), data + start, end - start + 1 > 24 ? "…" : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
scan_json (const char *data, gsize length, const char *origin, ScanMode mode, GError **error)
{
  struct { const char *p; gsize len; } keys[HUGE_SCAN_MAX_DEPTH] = { { NULL, 0 } };
  guint depth = 0, line = 1, col = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (c == '\n')
        {
          line++;
          col = 0;
          continue;
        }
      if (((guchar) c & 0xC0) != 0x80)
        col++;
      if (c == '"')
        {
          gsize s = i + 1, j;
          guint quote_col = col;

          /* Before parsing, a string ends at a line break too: json-glib reports it. */
          for (j = s; j < length && data[j] != '"' && !(mode == SCAN_BEFORE_PARSE && data[j] == '\n'); j++)
            {
              if (data[j] == '\\')
                {
                  gsize n = 1;
                  if (mode == SCAN_BEFORE_PARSE &&
                      !check_escape_at (data, length, j + 1, origin, line, quote_col, &n, error))
                    return FALSE;
                  /* Every character of the escape is a column. */
                  for (gsize k = j + 1; k <= j + n && k < length; k++)
                    if (((guchar) data[k] & 0xC0) != 0x80)
                      col++;
                  col++;
                  j += n;
                  continue;
                }
              if (((guchar) data[j] & 0xC0) != 0x80)
                col++;
            }
          if (j < length && data[j] == '\n')
            {
              i = j - 1;   /* the next turn counts the line break */
              continue;
            }
          col++;   /* closing quote */
          i = j;
          /* A string followed by ':' is a member name. */
          for (j = i + 1; j < length && g_ascii_isspace (data[j]); j++)
            ;
          if (j < length && data[j] == ':' && depth < HUGE_SCAN_MAX_DEPTH)
            {
              keys[depth].p = data + s;
              keys[depth].len = i - s;
            }
          continue;
        }
      if (c == '{' || c == '[')
        {
          depth++;
          if (mode == SCAN_BEFORE_PARSE && depth > FB_JSON_MAX_DEPTH)
            {
              g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                           _("%s:%u:%u: nested deeper than %u levels of [ and {"),
                           origin, line, col, FB_JSON_MAX_DEPTH);
              return FALSE;
            }
          if (depth < HUGE_SCAN_MAX_DEPTH)
            {
              /* Elements of an array belong to the array's member. */
              if (c == '[')
                keys[depth] = keys[depth - 1];
              else
                keys[depth].p = NULL, keys[depth].len = 0;
            }
          continue;
        }
      if (c == '}' || c == ']')
        {
          if (depth > 0)
            depth--;
          continue;
        }
      if (mode == SCAN_AFTER_PARSE && g_ascii_isdigit (c))
        {
          gsize start = i;
          gboolean keyed = depth < HUGE_SCAN_MAX_DEPTH && keys[depth].p != NULL;

          while (i + 1 < length && g_ascii_isdigit (data[i + 1]))
            i++;
          if (!check_integer (data, length, start, i, origin, line, col,
                              keyed ? keys[depth].p : NULL, keyed ? keys[depth].len : 0, error))
            return FALSE;
          col += i - start;
        }
    }
  return TRUE;
}

static JsonNode *
load_data (const char *data, gssize length, const char *origin, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  const char *end = NULL;

  if (length < 0)
    length = strlen (data);

  if (!g_utf8_validate (data, length, &end))
    {
      /* Say where, so the user can find the stray byte. */
      guint line = 1, col = 1;
      for (const char *p = data; p < end; p++)
        {
          if (*p == '\n')
            line++, col = 1;
          else if (((guchar) *p & 0xC0) != 0x80)
            col++;
        }
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE,
                   _("%s:%u:%u: not UTF-8 text (byte 0x%02X), expected a JSON file"),
                   origin, line, col, (guchar) *end);
      return NULL;
    }
  if (!scan_json (data, length, origin, SCAN_BEFORE_PARSE, error))
    return NULL;
  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      /* json-glib reports "<data>:LINE:COL: ..."; replace its placeholder by the origin. */
      g_autofree char *flat = fb_error_flatten (local_error->message);
      const char *msg = flat;
      if (g_str_has_prefix (msg, "<data>"))
        msg += strlen ("<data>");
      else if (*msg != ':')
        {
          g_set_error (error, FB_ERROR, FB_ERROR_PARSE, _("%s: not valid JSON: %s"), origin, msg);
          return NULL;
        }
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE, "%s%s", origin, msg);
      return NULL;
    }
  if (!scan_json (data, length, origin, SCAN_AFTER_PARSE, error))
    return NULL;
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_PARSE, _("%s: empty file, expected a JSON object"), origin);
      return NULL;
    }
  return json_node_ref (json_parser_get_root (parser));
}

/* Every error on one line: the checks above quote member names from the file (found by
 * fuzz-config: a key with a newline in the "number too large" message). */
JsonNode *
fb_json_load_data (const char *data, gssize length, const char *origin, GError **error)
{
  JsonNode *root = load_data (data, length, origin, error);
  if (root == NULL)
    fb_error_one_line (error);
  return root;
}

JsonNode *
fb_json_load_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize length = 0;

  if (!fb_file_read (path, FB_FILE_MAX_JSON, "a JSON file", &data, &length, error))
    return NULL;
  return fb_json_load_data (data, length, path, error);
}

/* json-glib appends ".0" to every double printed without a '.', which turns
 * 1e+20 into "1e+20.0" and infinity into "inf.0": not JSON, and freebits
 * could not read its own files back. Repair the generator's number tokens in
 * place (only ever shortening them): drop ".0" after an exponent, and write a
 * non-finite number as null. Strings are skipped. */
static void
fix_number_tokens (char *text)
{
  char *r = text, *w = text;

  while (*r)
    {
      if (*r == '"')
        {
          *w++ = *r++;
          while (*r && *r != '"')
            {
              if (*r == '\\' && r[1])
                *w++ = *r++;
              *w++ = *r++;
            }
          if (*r)
            *w++ = *r++;
          continue;
        }
      if (*r == '-' || g_ascii_isalnum (*r))
        {
          const char *start = r;
          gsize len;

          while (*r && (*r == '-' || *r == '+' || *r == '.' || g_ascii_isalnum (*r)))
            r++;
          len = (gsize) (r - start);
          if (len >= 2 && (g_ascii_isdigit (start[0]) || (start[0] == '-' && g_ascii_isdigit (start[1]))))
            {
              /* A number: "1e+20.0" -> "1e+20". */
              if (len > 2 && start[len - 2] == '.' && start[len - 1] == '0' &&
                  memchr (start, 'e', len - 2) != NULL)
                len -= 2;
              memmove (w, start, len);
              w += len;
            }
          else if (len >= 3 && (g_ascii_strncasecmp (start + (start[0] == '-'), "inf", 3) == 0 ||
                                g_ascii_strncasecmp (start + (start[0] == '-'), "nan", 3) == 0))
            {
              memcpy (w, "null", 4);   /* "inf.0" is at least 5 characters */
              w += 4;
            }
          else
            {
              memmove (w, start, len);   /* true, false, null */
              w += len;
            }
          continue;
        }
      *w++ = *r++;
    }
  *w = '\0';
}

char *
fb_json_to_string (JsonNode *root, gboolean pretty)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  char *text;

  json_generator_set_pretty (gen, pretty);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  fix_number_tokens (text);
  return text;
}

gboolean
fb_json_save_file (JsonNode *root, const char *path, GError **error)
{
  g_autofree char *text = fb_json_to_string (root, TRUE);
  g_autofree char *with_nl = g_strconcat (text, "\n", NULL);

  return fb_file_write_atomic (path, with_nl, strlen (with_nl), 0644, error);
}

const char *
fb_json_node_describe (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64: return "an integer";
    case G_TYPE_DOUBLE: return "a number";
    case G_TYPE_BOOLEAN: return "a boolean";
    case G_TYPE_STRING: return "a string";
    default: return "a value";
    }
}

JsonObject *
fb_json_root_object (JsonNode *root, const char *family, const char *origin, GError **error)
{
  JsonObject *obj;
  JsonNode *fmt;
  const char *value;
  g_autofree char *expected = g_strdup_printf ("%s/1", family);

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: expected a JSON object with \"format\": \"%s\", got %s"),
                   origin, expected, fb_json_node_describe (root));
      return NULL;
    }
  obj = json_node_get_object (root);
  fmt = json_object_get_member (obj, "format");
  if (fmt == NULL)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: missing field \"format\" (expected \"%s\")"), origin, expected);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (fmt) || json_node_get_value_type (fmt) != G_TYPE_STRING)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                   _("%s: field \"format\" must be the string \"%s\", got %s"),
                   origin, expected, fb_json_node_describe (fmt));
      return NULL;
    }
  value = json_node_get_string (fmt);
  if (g_strcmp0 (value, expected) != 0)
    {
      gsize flen = strlen (family);
      if (strncmp (value, family, flen) == 0 && value[flen] == '/')
        g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                     _("%s: \"format\" is \"%s\", this freebits reads only \"%s\""),
                     origin, value, expected);
      else
        g_set_error (error, FB_ERROR, FB_ERROR_FORMAT,
                     _("%s: \"format\" is \"%s\", expected \"%s\" (is this the right kind of file?)"),
                     origin, value, expected);
      return NULL;
    }
  return obj;
}

static JsonNode *
get_member (JsonObject *obj, const char *member, const char *where, gboolean required, GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  if (node == NULL && required)
    g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: missing field \"%s\""), where, member);
  return node;
}

static gboolean
node_to_int (JsonNode *node, const char *where, const char *member, gint64 min, gint64 max,
             gint64 *out, GError **error)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     _("%s: field \"%s\": expected an integer in [%" PRId64 ", %" PRId64 "], got %g"),
                     where, member, min, max, json_node_get_double (node));
      else
        g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                     _("%s: field \"%s\": expected an integer, got %s"),
                     where, member, fb_json_node_describe (node));
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < min || v > max)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"%s\": %" PRId64 " is out of range, expected %" PRId64 "..%" PRId64),
                   where, member, v, min, max);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

gboolean
fb_json_get_int (JsonObject *obj, const char *member, const char *where, gboolean required,
                 gint64 min, gint64 max, gint64 *inout, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  if (node == NULL)
    return !required;
  return node_to_int (node, where, member, min, max, inout, error);
}

gboolean
fb_json_get_number (JsonObject *obj, const char *member, const char *where, gboolean required,
                    double *inout, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  GType t;
  double v;

  if (node == NULL)
    return !required;
  t = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (t != G_TYPE_INT64 && t != G_TYPE_DOUBLE)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"%s\": expected a number, got %s"),
                   where, member, fb_json_node_describe (node));
      return FALSE;
    }
  v = t == G_TYPE_INT64 ? (double) json_node_get_int (node) : json_node_get_double (node);
  if (!isfinite (v))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"%s\": expected a finite number"),
                   where, member);
      return FALSE;
    }
  *inout = v;
  return TRUE;
}

gboolean
fb_json_get_bool (JsonObject *obj, const char *member, const char *where, gboolean required,
                  gboolean *inout, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"%s\": expected true or false, got %s"),
                   where, member, fb_json_node_describe (node));
      return FALSE;
    }
  *inout = json_node_get_boolean (node);
  return TRUE;
}

gboolean
fb_json_get_string (JsonObject *obj, const char *member, const char *where, gboolean required,
                    const char **out, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  *out = NULL;
  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"%s\": expected a string, got %s"),
                   where, member, fb_json_node_describe (node));
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
fb_json_get_int_tuple (JsonObject *obj, const char *member, const char *where, gboolean required,
                       gint64 min, gint64 max, guint n_out, gint64 *inout, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  JsonArray *arr;

  if (node == NULL)
    return !required;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) != G_TYPE_INT64 &&
      json_node_get_value_type (node) != G_TYPE_DOUBLE)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"%s\": expected an integer or an array of %u integers, got %s"),
                   where, member, n_out, fb_json_node_describe (node));
      return FALSE;
    }
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      gint64 v;
      if (!node_to_int (node, where, member, min, max, &v, error))
        return FALSE;
      for (guint i = 0; i < n_out; i++)
        inout[i] = v;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"%s\": expected an integer or an array of %u integers, got %s"),
                   where, member, n_out, fb_json_node_describe (node));
      return FALSE;
    }
  arr = json_node_get_array (node);
  if (json_array_get_length (arr) != n_out)
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD,
                   _("%s: field \"%s\": expected %u integers, got %u"),
                   where, member, n_out, json_array_get_length (arr));
      return FALSE;
    }
  for (guint i = 0; i < n_out; i++)
    if (!node_to_int (json_array_get_element (arr, i), where, member, min, max, &inout[i], error))
      return FALSE;
  return TRUE;
}

gboolean
fb_json_get_object (JsonObject *obj, const char *member, const char *where, gboolean required,
                    JsonObject **out, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  *out = NULL;
  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"%s\": expected an object, got %s"),
                   where, member, fb_json_node_describe (node));
      return FALSE;
    }
  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
fb_json_get_array (JsonObject *obj, const char *member, const char *where, gboolean required,
                   JsonArray **out, GError **error)
{
  JsonNode *node = get_member (obj, member, where, required, error);
  *out = NULL;
  if (node == NULL)
    return !required;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: field \"%s\": expected an array, got %s"),
                   where, member, fb_json_node_describe (node));
      return FALSE;
    }
  *out = json_node_get_array (node);
  return TRUE;
}

gboolean
fb_json_check_members (JsonObject *obj, const char *where, const char **allowed, GError **error)
{
  g_autoptr(GList) members = json_object_get_members (obj);

  for (GList *m = members; m; m = m->next)
    {
      const char *name = m->data;
      const char *closest = NULL;
      guint best = 2;
      gboolean known = FALSE;

      for (const char **a = allowed; *a && !known; a++)
        known = strcmp (*a, name) == 0;
      if (known)
        continue;
      /* Suggest the field sharing the longest prefix, if it is 3+ characters. */
      for (const char **a = allowed; *a; a++)
        {
          guint common = 0;
          while ((*a)[common] && (*a)[common] == name[common])
            common++;
          if (common > best)
            {
              closest = *a;
              best = common;
            }
        }
      {
        g_autofree char *list = g_strjoinv (", ", (char **) allowed);
        if (closest)
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: unknown field \"%s\" (did you mean \"%s\"?)"),
                       where, name, closest);
        else
          g_set_error (error, FB_ERROR, FB_ERROR_FIELD, _("%s: unknown field \"%s\" (known: %s)"),
                       where, name, list);
      }
      return FALSE;
    }
  return TRUE;
}

void
fb_json_add_int (JsonBuilder *b, const char *member, gint64 value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_int_value (b, value);
}

void
fb_json_add_double (JsonBuilder *b, const char *member, double value)
{
  json_builder_set_member_name (b, member);
  /* JSON has no infinity or NaN; callers reject those first, null is the last guard. */
  if (!isfinite (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

void
fb_json_add_string (JsonBuilder *b, const char *member, const char *value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, value);
}

void
fb_json_add_boolean (JsonBuilder *b, const char *member, gboolean value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_boolean_value (b, value);
}

void
fb_json_add_double_or_null (JsonBuilder *b, const char *member, double value)
{
  json_builder_set_member_name (b, member);
  if (!isfinite (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

JsonObject *
fb_json_object_copy_deep (JsonObject *obj)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) parsed = NULL;
  g_autofree char *text = NULL;

  if (obj == NULL)
    return json_object_new ();
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, obj);
  text = json_to_string (node, FALSE);
  parsed = json_from_string (text, NULL);
  if (parsed == NULL || !JSON_NODE_HOLDS_OBJECT (parsed))
    return json_object_new ();
  return json_object_ref (json_node_get_object (parsed));
}
