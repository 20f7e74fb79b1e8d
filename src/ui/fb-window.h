/* fb-window.h — the main window: plot, summary and layer table of one network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-search-job.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_TYPE_WINDOW (fb_window_get_type ())
G_DECLARE_FINAL_TYPE (FbWindow, fb_window, FB, WINDOW, GtkApplicationWindow)

/* Opens with the bundled fmnist-mbv1 network (and its rv32imc latency
 * table when one is installed). */
FbWindow     *fb_window_new               (FbApplication  *application);

/* Networks, latency tables and configs, told apart by their "format" tag;
 * networks first, then tables, then configs, whatever the order given.
 * Problems appear in the window's info bar, never as a crash. */
void          fb_window_open_files        (FbWindow       *self,
                                           GFile         **files,
                                           guint           n_files);
void          fb_window_open_file         (FbWindow       *self,
                                           GFile          *file);

/* Shows @message in the info bar (appended while the bar is open). */
void          fb_window_report_error      (FbWindow       *self,
                                           const char     *message);

/* Runs @method with the search panel's target, budgets and start config,
 * as the panel's Run button does (nothing if a search is running). */
void          fb_window_run_search        (FbWindow       *self,
                                           FbSearchMethod  method);

/* Shows the Compare page and runs the comparison (fb_compare_run) on every
 * loaded latency table, with measured accuracy when the accuracy engine is
 * ready, as the page's Compare button does (a running one is replaced). */
void          fb_window_run_compare       (FbWindow       *self);

/* The accuracy oracle of the shown network (NULL: none). The window makes
 * one itself when a network is opened (the nn oracle on the network's
 * trained weights, loaded in a thread: fb-accuracy-engine.h); this replaces
 * it. With one, the summary, the baselines and search results get measured
 * accuracy, the search panel's minimum-accuracy budget becomes usable and
 * searches get the oracle. Dropped when another network is opened. */
void          fb_window_set_accuracy_oracle (FbWindow       *self,
                                             FbAccuracyOracle *oracle);

/* Cancelled when the window closes: every job the window starts uses it. */
GCancellable *fb_window_get_cancellable   (FbWindow       *self);

G_END_DECLS
