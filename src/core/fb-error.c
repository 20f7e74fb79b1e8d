/* fb-error.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-error.h"

G_DEFINE_QUARK (fb-error-quark, fb_error)

void
fb_error_prefix_file (GError **error, const char *path)
{
  if (error == NULL || *error == NULL || path == NULL)
    return;
  if (g_str_has_prefix ((*error)->message, path))
    return;
  g_prefix_error (error, "%s: ", path);
}

/* Messages quote names and tokens from the file (json-glib quotes an unterminated string
 * with its newlines); an error must stay one line, and short. */
char *
fb_error_flatten (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p; p = g_utf8_next_char (p))
    {
      guchar c = (guchar) *p;

      if (out->len >= 4000)
        {
          g_string_append (out, "…");
          break;
        }
      if (c == '\n')
        g_string_append (out, "\\n");
      else if (c == '\r')
        g_string_append (out, "\\r");
      else if (c == '\t')
        g_string_append (out, "\\t");
      else if (c < 0x20 || c == 0x7F)
        g_string_append_printf (out, "\\x%02X", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  return g_string_free (out, FALSE);
}

void
fb_error_one_line (GError **error)
{
  char *flat;

  if (error == NULL || *error == NULL)
    return;
  flat = fb_error_flatten ((*error)->message);
  g_free ((*error)->message);
  (*error)->message = flat;
}
