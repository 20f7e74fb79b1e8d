/* fb-names.h — enum values by their names in the file formats.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean fb_names_lookup (const char *const *names,
                          guint              n_names,
                          const char        *str,
                          guint             *index);

/* Defines PREFIX_to_string (Type) and PREFIX_from_string (const char *, Type *) over
 * @names, a table of the enum's names indexed by its values (as GLib's G_DEFINE_ENUM_TYPE
 * defines a type): to_string gives "?" for a value outside the table, from_string FALSE
 * for a name that is none of them. */
#define FB_NAMES_DEFINE(Type, prefix, names)                                          \
  const char *                                                                        \
  prefix##_to_string (Type value)                                                     \
  {                                                                                   \
    g_return_val_if_fail ((guint) value < G_N_ELEMENTS (names), "?");                 \
    return names[value];                                                              \
  }                                                                                   \
  gboolean                                                                            \
  prefix##_from_string (const char *str, Type *value)                                 \
  {                                                                                   \
    guint i;                                                                          \
    if (!fb_names_lookup (names, G_N_ELEMENTS (names), str, &i))                      \
      return FALSE;                                                                   \
    *value = (Type) i;                                                                \
    return TRUE;                                                                      \
  }

G_END_DECLS
