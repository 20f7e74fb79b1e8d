/* fb-ui-widgets.c — small GTK helpers the window and its panels share.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-ui-widgets.h"

void
fb_ui_combo_ellipsize (GtkComboBox *combo)
{
  g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (combo));

  for (GList *l = cells; l != NULL; l = l->next)
    if (GTK_IS_CELL_RENDERER_TEXT (l->data))
      g_object_set (l->data, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
}
