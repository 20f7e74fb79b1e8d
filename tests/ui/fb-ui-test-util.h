/* fb-ui-test-util.h — what the in-process GTK test binaries share: start-up,
 * a fresh window, spinning the main loop until something holds, the
 * stand-in accuracy oracle, test files.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-accuracy-oracle.h"
#include "fb-application.h"
#include "fb-window-private.h"

G_BEGIN_DECLS

/* How long a wait may take before it counts as a hang: for the window's own
 * work (a search on the bundled network, a message, a comparison of a few
 * configs), and for real training or accuracy on thousands of images. Not
 * timing checks: a loaded 2-core machine, or ASan, is slow. */
#define FB_UI_TEST_HANG_SECONDS 120
#define FB_UI_TEST_WORK_SECONDS 900

/* Worker threads below the main thread (as main() does; FB_TEST_WORKER_NICE=0
 * measures without it), the C locale, a throwaway home for recent files and
 * settings (not G_TEST_OPTION_ISOLATE_DIRS: it also hides XDG_DATA_DIRS, and
 * with it the MIME database GTK needs for its icons), g_test_init, windows
 * without an accuracy engine unless a test asks for one, GTK. Returns the
 * registered application, or NULL without a display (tests then skip). */
FbApplication    *fb_ui_test_init              (int              *argc,
                                                char           ***argv);

/* The window tests' fixture: a fresh window (NULL when the test is skipped
 * for want of a display) and a folder for the files a test writes. */
typedef struct {
  FbWindow *window;
  char     *tmpdir;
} FbUiTestFixture;

/* GTestFixtureFunc's for g_test_add (..., FbUiTestFixture, ...): a window
 * of the application fb_ui_test_init() made; the folder removed after. */
void              fb_ui_test_fixture_setup     (FbUiTestFixture  *f,
                                                gconstpointer     data);
void              fb_ui_test_fixture_teardown  (FbUiTestFixture  *f,
                                                gconstpointer     data);

/* Lets windows map, lay out and draw: a few rounds of pending events. */
void              fb_ui_test_spin              (void);

/* Every setting back to its default, whatever the last test remembered. */
void              fb_ui_test_reset_settings    (FbApplication    *app);

/* A new window at 1280×800, shown, after resetting the settings. */
FbWindow         *fb_ui_test_window_new        (FbApplication    *app);

/* Runs the main loop until @cond (@data) holds; fails after @seconds (one
 * of the bounds above) saying it was still waiting for @what. */
void              fb_ui_test_wait_until        (gboolean        (*cond) (gpointer data),
                                                gpointer          data,
                                                int               seconds,
                                                const char       *what);
/* The same until @job has finished, then a spin. */
void              fb_ui_test_wait_for_search   (FbSearchJob      *job,
                                                int               seconds);
/* The longest single main-loop dispatch seen by the waits since the last
 * reset: wall clock and main-thread CPU time, in ms (to report, never to
 * assert). */
void              fb_ui_test_longest_dispatch  (double           *wall_ms,
                                                double           *cpu_ms);
void              fb_ui_test_reset_dispatch    (void);

/* For a fixture's setup: fb_ui_test_window_new(), or NULL after
 * g_test_skip() when there is no display (@app NULL). */
FbWindow         *fb_ui_test_setup_window      (FbApplication    *app);
/* For a fixture's teardown: destroys @window (may be NULL), lets GTK finish,
 * and turns the accuracy engine off again for the next test. */
void              fb_ui_test_teardown_window   (FbWindow         *window);

/* Starts a search from @window's search panel as a user would (method,
 * start, the Run button); returns the window's job (borrowed). */
FbSearchJob      *fb_ui_test_start_search      (FbWindow         *window,
                                                FbSearchMethod    method,
                                                const char       *start);
/* The same, waited for, and asserted to have finished without an error. */
FbSearchJob      *fb_ui_test_run_search        (FbWindow         *window,
                                                FbSearchMethod    method,
                                                const char       *start);

/* The index of the series named @name, or -1. */
int               fb_ui_test_find_series       (FbPointSet       *points,
                                                const char       *name);

/* Opens @path in @window as a drop or Open would, then spins. */
void              fb_ui_test_open_path         (FbWindow         *window,
                                                const char       *path);
/* data/networks/NAME.json of the source tree (FB_SOURCE_ROOT, else relative
 * to the test's G_TEST_DIST). */
char             *fb_ui_test_network_path      (const char       *name);
/* Removes @dir and the files in it (no subfolders). */
void              fb_ui_test_remove_tree       (const char       *dir);

/* The stand-in oracle's rule: more weight bits, more accuracy (made up but
 * monotone; what matters is that the window passes it on). */
double            fb_ui_test_fake_accuracy     (FbPrecisionConfig *config);
/* An oracle for @network that answers fb_ui_test_fake_accuracy(), taking
 * @delay_ms per config as a real evaluation takes a moment (0: at once).
 * Honours its cancellable. */
FbAccuracyOracle *fb_ui_test_oracle_new        (FbNetwork        *network,
                                                guint             delay_ms);

/* Gives @window such an oracle as its accuracy engine's (the window keeps
 * the only reference). */
void              fb_ui_test_set_oracle        (FbWindow         *window,
                                                guint             delay_ms);

/* A gate for a stand-in or wrapped oracle: the evaluations it holds wait
 * until the test lets them through one by one, so a test sees a job
 * provably mid-way (no sleeps, whatever the machine's speed). Which
 * evaluations it holds, so that the window's accuracy engine, measuring the
 * baselines and the config on screen through the same oracle one by one,
 * passes freely: */
typedef enum {
  /* each config of an evaluate_many() call (a comparison's accuracy stage) */
  FB_UI_TEST_GATE_BATCHES,
  /* evaluate() of a config the differentiable search made (its provenance's
   * "method" is "diff"): the sweep measures each λ's result before handing
   * it over */
  FB_UI_TEST_GATE_DIFF,
} FbUiTestGateKind;

typedef struct _FbUiTestGate FbUiTestGate;

FbUiTestGate     *fb_ui_test_gate_new          (FbUiTestGateKind  kind);
FbUiTestGate     *fb_ui_test_gate_ref          (FbUiTestGate     *gate);
void              fb_ui_test_gate_unref        (FbUiTestGate     *gate);
/* Evaluations waiting at the gate now; held ones let through so far. */
guint             fb_ui_test_gate_get_waiting  (FbUiTestGate     *gate);
guint             fb_ui_test_gate_get_passed   (FbUiTestGate     *gate);
/* Lets @n more held evaluations through (waiting ones first). */
void              fb_ui_test_gate_release      (FbUiTestGate     *gate,
                                                guint             n);
/* Holds nothing any more (also what a test does before it ends). */
void              fb_ui_test_gate_open         (FbUiTestGate     *gate);
/* Runs the main loop until @n evaluations wait at the gate (a hang after
 * FB_UI_TEST_WORK_SECONDS fails, saying it waited for @what). */
void              fb_ui_test_gate_wait         (FbUiTestGate     *gate,
                                                guint             n,
                                                const char       *what);
/* An oracle for @network behind @gate: it answers as @inner (NULL:
 * fb_ui_test_fake_accuracy() at once). A held evaluation honours its
 * cancellable while it waits. */
FbAccuracyOracle *fb_ui_test_gated_oracle_new  (FbUiTestGate     *gate,
                                                FbNetwork        *network,
                                                FbAccuracyOracle *inner);
/* Gives @window a gated stand-in oracle (inner NULL) as its accuracy
 * engine's. */
void              fb_ui_test_set_gated_oracle  (FbWindow         *window,
                                                FbUiTestGate     *gate);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbUiTestGate, fb_ui_test_gate_unref)

G_END_DECLS
