/* fb-names.c — enum values by their names in the file formats.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-names.h"

/* Sets @index to the position of @str in @names (an enum's names, indexed by value) and
 * returns TRUE; FALSE when @str (or NULL) is none of them. NULL entries (holes in a
 * designated-initializer table) never match. */
gboolean
fb_names_lookup (const char *const *names, guint n_names, const char *str, guint *index)
{
  for (guint i = 0; str != NULL && i < n_names; i++)
    if (names[i] != NULL && strcmp (str, names[i]) == 0)
      {
        *index = i;
        return TRUE;
      }
  return FALSE;
}
