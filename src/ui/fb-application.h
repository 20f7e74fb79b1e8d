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

/* Makes the worker threads of GLib's shared thread pools — every GTask
 * thread (searches, the accuracy engine, the comparison, exports) and the nn
 * evaluator's threads — run @delta nice levels (e.g. 10, at most up to 19)
 * below the main thread, which keeps its priority, so on a busy machine the main loop gets a core first.
 * Call before anything makes a thread pool (first thing in main()). Linux
 * only; elsewhere it does nothing. */
void           fb_application_lower_worker_priority (int delta);

/* The org.freebits.Explorer settings: the installed schema, else the one
 * compiled in the build tree (running uninstalled); NULL when neither exists,
 * and then nothing is remembered (never an abort). */
GSettings     *fb_application_get_settings (FbApplication *self);
/* The --search option: the first window runs this FbSearchMethod (with the
 * search panel's settings) once its files are open; -1 for none. */
void           fb_application_set_startup_search (FbApplication *self,
                                                  int            method);
/* The --compare option: the first window runs the comparison once its files
 * are open (after the accuracy engine has loaded, if one is loading). */
void           fb_application_set_startup_compare (FbApplication *self,
                                                   gboolean       compare);

G_END_DECLS
