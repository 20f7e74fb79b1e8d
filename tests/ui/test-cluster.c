/* test-cluster.c — "Export Sweep for Cluster…" and "Open Cluster Results…"
 * (src/ui/fb-window-cluster.c) in-process under Xvfb: both are in the main
 * menu; the search panel's search is exported as a sweep folder whose search
 * command runs the panel's method; a result file that comes back opens as a
 * series of the plot; a folder that is no sweep is an error.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-ui-test-util.h"
#include "fb-candidate-list.h"
#include "fb-json.h"
#include "fb-search-method.h"

static FbApplication *app;

static void
spin (void)
{
  for (guint i = 0; i < 5; i++)
    {
      while (gtk_events_pending ())
        gtk_main_iteration_do (FALSE);
      g_usleep (2000);
    }
}

/* Whether @model (or a section of it) has an item with @action. */
static gboolean
menu_has_action (GMenuModel *model, const char *action)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *a = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", &a) && g_str_equal (a, action))
        return TRUE;
      if (section != NULL && menu_has_action (section, action))
        return TRUE;
    }
  return FALSE;
}

static void
find_menu (GtkWidget *widget, gpointer user_data)
{
  GMenuModel **menu = user_data;
  if (*menu == NULL && GTK_IS_MENU_BUTTON (widget))
    *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));
}

static void
test_export_and_open (void)
{
  FbWindow *window;
  FbNetwork *net;
  GMenuModel *menu = NULL;
  g_autofree char *dir = NULL, *sweep = NULL, *commands = NULL, *text = NULL, *expect = NULL;
  g_autofree char *manifest = NULL, *result = NULL, *not_sweep = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(FbCandidateList) list = NULL;
  g_autoptr(FbPrecisionConfig) w4a4 = NULL;
  g_autoptr(FbCandidate) c = NULL;
  guint before;

  if (app == NULL)
    {
      g_test_skip ("no display: run under xvfb-run (meson does when it finds xvfb-run)");
      return;
    }
  window = fb_window_new (app);
  gtk_widget_show (GTK_WIDGET (window));
  spin ();
  net = fb_window_get_network (window);
  g_assert_nonnull (net);

  gtk_container_foreach (GTK_CONTAINER (window->header_bar), find_menu, &menu);
  g_assert_nonnull (menu);
  g_assert_true (menu_has_action (menu, "win.export-sweep"));
  g_assert_true (menu_has_action (menu, "win.open-sweep-results"));
  g_assert_nonnull (g_action_map_lookup_action (G_ACTION_MAP (window), "export-sweep"));

  dir = g_dir_make_tmp ("fb-cluster-XXXXXX", NULL);
  sweep = g_build_filename (dir, "sweep", NULL);
  g_assert_true (fb_window_export_sweep (window, sweep, &error));
  g_assert_no_error (error);
  commands = g_build_filename (sweep, "commands.txt", NULL);
  g_assert_true (g_file_get_contents (commands, &text, NULL, NULL));
  expect = g_strdup_printf (" --method %s ",
                            fb_search_method_to_nick (fb_search_panel_get_method (fb_window_get_search_panel (window))));
  g_test_message ("%s", text);
  g_assert_true (g_str_has_prefix (text, "freebits-cli search inputs/network.json "));
  g_assert_nonnull (strstr (text, expect));

  /* Nothing back yet: nothing opened. */
  g_assert_cmpuint (fb_window_open_sweep_results (window, sweep, &error), ==, 0);
  g_assert_no_error (error);

  /* A result comes back: the first file sweep.json names. */
  manifest = g_build_filename (sweep, "sweep.json", NULL);
  root = fb_json_load_file (manifest, &error);
  g_assert_no_error (error);
  result = g_build_filename (sweep, json_array_get_string_element (
                               json_object_get_array_member (json_node_get_object (root), "results"), 0), NULL);
  list = fb_candidate_list_new (net);
  w4a4 = fb_precision_config_new_from_spec (net, "w4a4", &error);
  g_assert_no_error (error);
  c = fb_candidate_new_evaluated (w4a4, NULL, 0.5, "diff", NULL, &error);
  g_assert_no_error (error);
  fb_candidate_list_add (list, c);
  g_assert_true (fb_candidate_list_save (list, result, &error));
  before = fb_window_get_n_results (window);
  g_assert_cmpuint (fb_window_open_sweep_results (window, sweep, &error), ==, 1);
  g_assert_no_error (error);
  spin ();
  g_assert_cmpuint (fb_window_get_n_results (window), ==, before + 1);

  /* A folder that is no sweep. */
  not_sweep = g_build_filename (sweep, "inputs", NULL);
  g_assert_cmpuint (fb_window_open_sweep_results (window, not_sweep, &error), ==, 0);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "sweep.json"));

  gtk_widget_destroy (GTK_WIDGET (window));
  spin ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
    g_assert_cmpint (system (cmd), ==, 0);
  }
}

int
main (int argc, char **argv)
{
  app = fb_ui_test_init (&argc, &argv);
  g_test_add_func ("/ui/cluster/export-and-open", test_export_and_open);
  return g_test_run ();
}
