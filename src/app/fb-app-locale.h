/* fb-app-locale.h — the user's language for both front ends.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* setlocale (LC_ALL, "") and the "freebits" text domain bound once: the
 * installed translations, or those compiled in the build tree when the
 * program runs from there (tools/run, the tests). Called first thing in
 * main() by freebits and freebits-cli. */
void fb_app_locale_init (void);

G_END_DECLS
