/* fb-application.c — the freebits GtkApplication.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-build-config.h"

#include <glib/gi18n.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "fb-application.h"
#include "fb-window.h"

struct _FbApplication {
  GtkApplication  parent_instance;
  GSettings      *settings;
  gboolean        settings_looked_up;
  int             startup_search;  /* FbSearchMethod from --search, or -1 */
  gboolean        startup_compare; /* --compare */
};

G_DEFINE_TYPE (FbApplication, fb_application, GTK_TYPE_APPLICATION)

#ifdef __linux__
static void
pool_noop (gpointer data, gpointer user_data)
{
}

static gpointer
prime_shared_pool (gpointer data)
{
  id_t tid = (id_t) syscall (SYS_gettid);
  GThreadPool *pool;

  /* Only this thread: nice applies per thread on Linux. Relative to what
   * it inherited (tests and builds run under nice already). */
  if (setpriority (PRIO_PROCESS, tid, MIN (getpriority (PRIO_PROCESS, tid) + GPOINTER_TO_INT (data), 19)) != 0)
    return NULL;
  /* GLib (2.64+) gives every thread of a shared (non-exclusive) pool the
   * scheduling settings of the thread that made the first such pool: this
   * one. */
  pool = g_thread_pool_new (pool_noop, NULL, 1, FALSE, NULL);
  if (pool != NULL)
    g_thread_pool_free (pool, FALSE, TRUE);
  return NULL;
}
#endif

void
fb_application_lower_worker_priority (int delta)
{
#ifdef __linux__
  GThread *thread = g_thread_new ("fb-prime-pool", prime_shared_pool, GINT_TO_POINTER (delta));
  g_thread_join (thread);
#else
  (void) delta;
#endif
}

FbApplication *
fb_application_new (void)
{
  return g_object_new (FB_TYPE_APPLICATION,
                       "application-id", FB_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/freebits/Explorer",
                       NULL);
}

static GSettings *
create_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, FB_APPLICATION_ID, TRUE);
#ifdef FB_BUILD_SCHEMA_DIR
  if (schema == NULL)
    {
      /* Running from the build tree (tools/run, the screenshot script). */
      g_autoptr(GSettingsSchemaSource) build = NULL;
      build = g_settings_schema_source_new_from_directory (FB_BUILD_SCHEMA_DIR, source, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, FB_APPLICATION_ID, FALSE);
    }
#endif
  if (schema == NULL)
    {
      g_message ("settings schema %s not installed: window size, axes and target are not remembered",
                 FB_APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

GSettings *
fb_application_get_settings (FbApplication *self)
{
  g_return_val_if_fail (FB_IS_APPLICATION (self), NULL);
  if (!self->settings_looked_up)
    {
      self->settings_looked_up = TRUE;
      self->settings = create_settings ();
    }
  return self->settings;
}

static FbWindow *
get_window (FbApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (FB_IS_WINDOW (window))
    return FB_WINDOW (window);
  return fb_window_new (self);
}

void
fb_application_set_startup_search (FbApplication *self, int method)
{
  g_return_if_fail (FB_IS_APPLICATION (self));
  self->startup_search = method;
}

void
fb_application_set_startup_compare (FbApplication *self, gboolean compare)
{
  g_return_if_fail (FB_IS_APPLICATION (self));
  self->startup_compare = compare;
}

/* --search and --compare: once, after the files of the command line are open. */
static void
run_startup_search (FbApplication *self, FbWindow *window)
{
  if (self->startup_compare)
    {
      self->startup_compare = FALSE;
      fb_window_run_compare (window);
    }
  if (self->startup_search < 0)
    return;
  fb_window_run_search (window, (FbSearchMethod) self->startup_search);
  self->startup_search = -1;
}

static void
fb_application_activate (GApplication *app)
{
  FbWindow *window = get_window (FB_APPLICATION (app));

  gtk_window_present (GTK_WINDOW (window));
  run_startup_search (FB_APPLICATION (app), window);
}

static void
fb_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  FbWindow *window = get_window (FB_APPLICATION (app));

  fb_window_open_files (window, files, (guint) n_files);
  gtk_window_present (GTK_WINDOW (window));
  run_startup_search (FB_APPLICATION (app), window);
}

static void
action_quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Destroying windows cancels their jobs (FbWindow's GCancellable). */
  GList *copy = g_list_copy (windows);
  for (GList *l = copy; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  g_list_free (copy);
  g_application_quit (app);
}

static void
action_about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  static const char *authors[] = { "The freebits developers", NULL };
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_show_about_dialog (parent,
                         "program-name", "freebits",
                         "logo-icon-name", FB_APPLICATION_ID,
                         "version", FB_VERSION,
                         "comments", _("Choose 8-, 4- or 2-bit weights and activations per layer, "
                                       "so a CNN gets smaller and faster on a microcontroller "
                                       "without losing accuracy."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", action_quit, NULL, NULL, NULL, { 0 } },
  { "about", action_about, NULL, NULL, NULL, { 0 } },
};

static void
fb_application_startup (GApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.save-config", { "<Control>s", NULL } },
    { "win.export-bundle", { "<Control>e", NULL } },
    { "win.export-plot", { "<Control><Shift>e", NULL } },
    { "win.reset-view", { "<Control>0", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
    { "win.show-search", { "F9", NULL } },
    { "win.run-search", { "<Control>r", NULL } },
    { "win.save-candidates", { "<Control><Shift>s", NULL } },
    { "win.undo", { "<Control>z", NULL } },
    { "win.show-sidebar", { "<Shift>F9", NULL } },
    { "win.redo", { "<Control><Shift>z", "<Control>y" } },
  };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (fb_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action, accels[i].accels);

  gtk_css_provider_load_from_resource (css, "/org/freebits/Explorer/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_window_set_default_icon_name (FB_APPLICATION_ID);
}

static void
fb_application_shutdown (GApplication *app)
{
  FbApplication *self = FB_APPLICATION (app);

  /* Windows write their size and axes as they go away; make it stick. */
  if (self->settings != NULL)
    g_settings_sync ();
  G_APPLICATION_CLASS (fb_application_parent_class)->shutdown (app);
}

static void
fb_application_finalize (GObject *object)
{
  FbApplication *self = FB_APPLICATION (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (fb_application_parent_class)->finalize (object);
}

static void
fb_application_class_init (FbApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fb_application_finalize;
  app_class->shutdown = fb_application_shutdown;
  app_class->activate = fb_application_activate;
  app_class->open = fb_application_open;
  app_class->startup = fb_application_startup;
}

static void
fb_application_init (FbApplication *self)
{
  self->startup_search = -1;
  static const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { "search", 0, 0, G_OPTION_ARG_STRING, NULL,
      N_("Run a search once the files are open: uniform, diff, free-bits or pareto"), N_("METHOD") },
    { "compare", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Show the Compare page and compare BOPs with latency once the files are open"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[NETWORK|CONFIG|LATENCY|CANDIDATES.json…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
    _("Explore per-layer bit-widths (8/4/2) of a CNN: size, BOPs, latency and accuracy."));
}
