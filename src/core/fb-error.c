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
