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

G_END_DECLS
