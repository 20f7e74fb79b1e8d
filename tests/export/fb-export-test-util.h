/* fb-export-test-util.h — what the export tests share: running a bundle's
 * make targets and its programs in the bundle's folder.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs @argv in @cwd; returns the exit status (128 when killed by a
 * signal), stdout and stderr merged in *output. */
int   fb_export_test_run    (const char         *cwd,
                             const char *const  *argv,
                             char              **output);
/* Runs @argv in @cwd and asserts that it exits 0, logging the command and
 * its output when it does not; returns the output (stdout+stderr). */
char *fb_export_test_run_ok (const char         *cwd,
                             const char *const  *argv);

G_END_DECLS
