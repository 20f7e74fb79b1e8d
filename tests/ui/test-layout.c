/* test-layout.c — the window fits a laptop screen: its minimum size (the
 * toplevel's preferred minimum, search panel shown) is at most 1024×700 in
 * English, German and Chinese. Under Xvfb; a language whose locale is not
 * installed is generated with localedef when possible, else skipped.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <locale.h>

#include "fb-ui-test-util.h"

#define MAX_WIDTH  1024
#define MAX_HEIGHT 700

static FbApplication *app;

typedef struct {
  const char *language;  /* LANGUAGE */
  const char *locale;    /* LC_ALL */
  const char *source;    /* localedef -i */
} Language;

static const Language languages[] = {
  { "C", "C.UTF-8", NULL },
  { "de", "de_DE.UTF-8", "de_DE" },
  { "zh_CN", "zh_CN.UTF-8", "zh_CN" },
};

/* Switches to @lang's locale, generating it when it is missing (CI runs as
 * root, so localedef can). FALSE when it is not available. */
static gboolean
use_language (const Language *lang)
{
  if (setlocale (LC_ALL, lang->locale) == NULL && lang->source != NULL)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int status = 0;
      const char *argv[] = { "localedef", "-i", lang->source, "-f", "UTF-8", lang->locale, NULL };

      if (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL))
        g_test_message ("localedef %s: exit %d %s", lang->locale, status, err != NULL ? err : "");
    }
  if (setlocale (LC_ALL, lang->locale) == NULL)
    return FALSE;
  g_setenv ("LANGUAGE", lang->language, TRUE);
  /* Gettext looks the catalogue up again after setlocale(). */
  return TRUE;
}

static void
report_sizes (GtkWidget *widget, int depth)
{
  GtkRequisition min;

  if (depth > 9 || !gtk_widget_get_visible (widget))
    return;
  gtk_widget_get_preferred_size (widget, &min, NULL);
  if (min.width > 250 || min.height > 250)
    g_test_message ("%*s%s %s: %d×%d", depth * 2, "", G_OBJECT_TYPE_NAME (widget),
                    gtk_buildable_get_name (GTK_BUILDABLE (widget)) ? gtk_buildable_get_name (GTK_BUILDABLE (widget)) : "",
                    min.width, min.height);
  if (GTK_IS_CONTAINER (widget))
    {
      g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (widget));
      for (GList *l = children; l != NULL; l = l->next)
        report_sizes (l->data, depth + 1);
    }
}

static void
check_minimum (const Language *lang, gboolean compare)
{
  FbWindow *window;
  GtkRequisition min;
  GtkWidget *titlebar;

  window = fb_window_new (app);
  gtk_widget_show (GTK_WIDGET (window));
  gtk_revealer_set_reveal_child (window->search_revealer, TRUE);
  if (compare)
    gtk_stack_set_visible_child_name (window->view_stack, "compare");
  fb_ui_test_spin ();
  gtk_widget_get_preferred_size (GTK_WIDGET (window), &min, NULL);
  g_test_message ("%s%s: minimum %d×%d", lang->locale, compare ? " (Compare)" : "", min.width, min.height);
  if (min.width > MAX_WIDTH || min.height > MAX_HEIGHT)
    {
      titlebar = gtk_window_get_titlebar (GTK_WINDOW (window));
      report_sizes (titlebar, 0);
      report_sizes (gtk_bin_get_child (GTK_BIN (window)), 0);
    }
  g_assert_cmpint (min.width, <=, MAX_WIDTH);
  g_assert_cmpint (min.height, <=, MAX_HEIGHT);
  gtk_widget_destroy (GTK_WIDGET (window));
  fb_ui_test_spin ();
}

static void
test_minimum_size (gconstpointer data)
{
  const Language *lang = data;

  if (app == NULL)
    {
      g_test_skip ("no display: run under xvfb-run (meson does when it finds xvfb-run)");
      return;
    }
  if (!use_language (lang))
    {
      g_autofree char *why = g_strdup_printf ("locale %s is not installed and localedef could not make it",
                                              lang->locale);
      g_test_skip (why);
      return;
    }
  /* A translation that is missing would make this test pass vacuously. */
  if (lang->source != NULL)
    g_assert_cmpstr (_("Explore"), !=, "Explore");
  check_minimum (lang, FALSE);
  check_minimum (lang, TRUE);
}

/* The sidebar folds away (win.show-sidebar, Shift+F9) and gives its width
 * back. */
static void
test_collapse_sidebar (void)
{
  FbWindow *window;
  GtkRequisition with, without;

  if (app == NULL)
    {
      g_test_skip ("no display: run under xvfb-run (meson does when it finds xvfb-run)");
      return;
    }
  use_language (&languages[0]);
  window = fb_window_new (app);
  gtk_widget_show (GTK_WIDGET (window));
  fb_ui_test_spin ();
  /* The content below the header bar (which has a minimum of its own). */
  gtk_widget_get_preferred_size (gtk_bin_get_child (GTK_BIN (window)), &with, NULL);
  g_assert_true (gtk_widget_get_visible (window->sidebar));
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-sidebar", NULL);
  fb_ui_test_spin ();
  g_assert_false (gtk_widget_get_visible (window->sidebar));
  gtk_widget_get_preferred_size (gtk_bin_get_child (GTK_BIN (window)), &without, NULL);
  g_test_message ("minimum width %d with the sidebar, %d without", with.width, without.width);
  g_assert_cmpint (without.width, <=, with.width - 280);
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-sidebar", NULL);
  fb_ui_test_spin ();
  g_assert_true (gtk_widget_get_visible (window->sidebar));
  gtk_widget_destroy (GTK_WIDGET (window));
  fb_ui_test_spin ();
}

int
main (int argc, char **argv)
{
  int status;

  app = fb_ui_test_init (&argc, &argv);
  /* The catalogues compiled in the build tree. */
  if (g_getenv ("FB_LOCALE_DIR") != NULL)
    bindtextdomain ("freebits", g_getenv ("FB_LOCALE_DIR"));
  bind_textdomain_codeset ("freebits", "UTF-8");
  textdomain ("freebits");
  for (guint i = 0; i < G_N_ELEMENTS (languages); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ui/layout/minimum-size/%s", languages[i].locale);
      g_test_add_data_func (path, &languages[i], test_minimum_size);
    }
  g_test_add_func ("/ui/layout/collapse-sidebar", test_collapse_sidebar);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
