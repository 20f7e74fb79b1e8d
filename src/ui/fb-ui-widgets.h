/* fb-ui-widgets.h — small GTK helpers the window and its panels share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Lets a combo box ellipsize its text, so long names (and translations)
 * shrink before the window grows. */
void fb_ui_combo_ellipsize (GtkComboBox *combo);

G_END_DECLS
