/* fb-app-locale.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n-lib.h>
#include <locale.h>

#include "fb-app-locale.h"

void
fb_app_locale_init (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, FB_LOCALEDIR);
#if defined(FB_BUILD_ROOT) && defined(__linux__)
  /* Run from the build tree (tools/run, the tests): the translations compiled there. */
  {
    g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
    if (exe != NULL && g_str_has_prefix (exe, FB_BUILD_ROOT G_DIR_SEPARATOR_S))
      bindtextdomain (GETTEXT_PACKAGE, FB_BUILD_ROOT G_DIR_SEPARATOR_S "po");
  }
#endif
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
