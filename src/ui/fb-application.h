/* fb-application.h — the freebits GtkApplication: one process, many windows.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_APPLICATION_ID "org.freebits.Explorer"

#define FB_TYPE_APPLICATION (fb_application_get_type ())
G_DECLARE_FINAL_TYPE (FbApplication, fb_application, FB, APPLICATION, GtkApplication)

/* HANDLES_OPEN: `freebits net.json cfg.json table.json` opens them in the
 * active window (a second launch hands its files to the running instance). */
FbApplication *fb_application_new          (void);

/* The org.freebits.Explorer settings: the installed schema, else the one
 * compiled in the build tree (running uninstalled); NULL when neither exists,
 * and then nothing is remembered (never an abort). */
GSettings     *fb_application_get_settings (FbApplication *self);
/* The --search option: the first window runs this FbSearchMethod (with the
 * search panel's settings) once its files are open; -1 for none. */
void           fb_application_set_startup_search (FbApplication *self,
                                                  int            method);

G_END_DECLS
