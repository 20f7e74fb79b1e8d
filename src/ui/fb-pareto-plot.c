/* fb-pareto-plot.c — the scatter plot widget; drawing lives in fb-plot-view.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <glib/gi18n.h>
#include <math.h>

#include "fb-pareto-plot.h"
#include "fb-plot-metric.h"
#include "fb-plot-view.h"

#define PICK_RADIUS 8.0
#define DRAG_THRESHOLD 4.0
#define ZOOM_STEP 1.25

struct _FbParetoPlot {
  GtkDrawingArea      parent_instance;

  FbPlotView         *view;
  GtkGesture         *drag;
  GtkGesture         *press;
  GtkEventController *motion;
  GtkEventController *scroll;

  double              pointer_x, pointer_y;
  double              drag_last_x, drag_last_y;
  gboolean            dragging;
};

G_DEFINE_TYPE (FbParetoPlot, fb_pareto_plot, GTK_TYPE_DRAWING_AREA)

G_DEFINE_ENUM_TYPE (FbPlotMetric, fb_plot_metric,
  G_DEFINE_ENUM_VALUE (FB_PLOT_METRIC_SIZE, "size"),
  G_DEFINE_ENUM_VALUE (FB_PLOT_METRIC_BOPS, "bops"),
  G_DEFINE_ENUM_VALUE (FB_PLOT_METRIC_LATENCY, "latency"),
  G_DEFINE_ENUM_VALUE (FB_PLOT_METRIC_PEAK_RAM, "peak-ram"),
  G_DEFINE_ENUM_VALUE (FB_PLOT_METRIC_ACCURACY, "accuracy"))

enum {
  PROP_0,
  PROP_X_METRIC,
  PROP_Y_METRIC,
  PROP_LOG_X,
  PROP_LOG_Y,
  N_PROPS
};

enum {
  POINT_SELECTED,
  SERIES_TOGGLED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
fb_pareto_plot_new (void)
{
  return g_object_new (FB_TYPE_PARETO_PLOT, NULL);
}

static gboolean
fb_pareto_plot_draw (GtkWidget *widget, cairo_t *cr)
{
  FbParetoPlot *self = FB_PARETO_PLOT (widget);
  const PangoFontDescription *font = NULL;
  GtkStyleContext *style = gtk_widget_get_style_context (widget);

  /* Follow the desktop's UI font, like the rest of the window. */
  gtk_style_context_get (style, gtk_style_context_get_state (style), "font", &font, NULL);
  fb_plot_view_set_font (self->view, font);
  pango_font_description_free ((PangoFontDescription *) font);
  /* The canvas follows the theme: a light text colour means a dark theme
   * (gtk-application-prefer-dark-theme or a dark theme by name). */
  {
    GdkRGBA fg;
    gtk_style_context_get_color (style, gtk_style_context_get_state (style), &fg);
    fb_plot_view_set_dark (self->view, 0.299 * fg.red + 0.587 * fg.green + 0.114 * fg.blue > 0.5);
  }
  fb_plot_view_render (self->view, cr,
                       gtk_widget_get_allocated_width (widget),
                       gtk_widget_get_allocated_height (widget));
  return GDK_EVENT_STOP;
}

static void
set_hover (FbParetoPlot *self, int index)
{
  if (fb_plot_view_get_hover (self->view) == index)
    return;
  fb_plot_view_set_hover (self->view, index);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_cursor (FbParetoPlot *self, const char *name)
{
  GdkWindow *window = gtk_widget_get_window (GTK_WIDGET (self));
  g_autoptr(GdkCursor) cursor = NULL;

  if (window == NULL)
    return;
  if (name != NULL)
    cursor = gdk_cursor_new_from_name (gtk_widget_get_display (GTK_WIDGET (self)), name);
  gdk_window_set_cursor (window, cursor);
}

static void
on_motion (GtkEventControllerMotion *controller, double x, double y, FbParetoPlot *self)
{
  int hit;

  self->pointer_x = x;
  self->pointer_y = y;
  if (self->dragging)
    return;
  hit = fb_plot_view_pick (self->view, x, y, PICK_RADIUS);
  set_hover (self, hit);
  set_cursor (self, hit >= 0 ? "pointer" : NULL);
}

static void
on_leave (GtkEventControllerMotion *controller, FbParetoPlot *self)
{
  set_hover (self, -1);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  FbParetoPlot *self)
{
  int hit = fb_plot_view_pick (self->view, x, y, PICK_RADIUS);
  g_autofree char *markup = NULL;
  double px, py;
  GdkRectangle area;

  if (hit < 0)
    return FALSE;
  markup = fb_plot_view_describe_point (self->view, hit);
  gtk_tooltip_set_markup (tooltip, markup);
  /* A tip area per point, so moving to a neighbour updates the tooltip. */
  if (fb_plot_view_to_pixel (self->view,
                             fb_point_set_get_point (fb_plot_view_get_points (self->view), hit)->values,
                             &px, &py))
    {
      area.x = (int) (px - PICK_RADIUS);
      area.y = (int) (py - PICK_RADIUS);
      area.width = area.height = (int) (2 * PICK_RADIUS);
      gtk_tooltip_set_tip_area (tooltip, &area);
    }
  return TRUE;
}

static void
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, FbParetoPlot *self)
{
  if (dy == 0)
    return;
  /* Smooth-scroll deltas are fractions of a step; pow() handles both. */
  fb_plot_view_zoom (self->view, pow (ZOOM_STEP, dy), self->pointer_x, self->pointer_y);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, FbParetoPlot *self)
{
  self->dragging = FALSE;
  self->drag_last_x = 0;
  self->drag_last_y = 0;
}

static void
on_drag_update (GtkGestureDrag *gesture, double ox, double oy, FbParetoPlot *self)
{
  /* Below the threshold a press is still a click. */
  if (!self->dragging && hypot (ox, oy) < DRAG_THRESHOLD)
    return;
  if (!self->dragging)
    {
      self->dragging = TRUE;
      set_hover (self, -1);
      set_cursor (self, "grabbing");
    }
  fb_plot_view_pan (self->view, ox - self->drag_last_x, oy - self->drag_last_y);
  self->drag_last_x = ox;
  self->drag_last_y = oy;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_drag_end (GtkGestureDrag *gesture, double ox, double oy, FbParetoPlot *self)
{
  if (self->dragging)
    set_cursor (self, NULL);
  /* Cleared on the next begin: "released" of the click gesture comes
   * after this and must still see that the press was a drag. */
}

static void
on_pressed (GtkGestureMultiPress *gesture, int n_press, double x, double y, FbParetoPlot *self)
{
  if (n_press == 2)
    fb_pareto_plot_reset_view (self);
}

static void
on_released (GtkGestureMultiPress *gesture, int n_press, double x, double y, FbParetoPlot *self)
{
  int hit;

  if (n_press != 1 || self->dragging)
    return;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  /* A legend entry hides or shows its series. */
  hit = fb_plot_view_legend_pick (self->view, x, y);
  if (hit >= 0)
    {
      FbPointSet *points = fb_plot_view_get_points (self->view);
      const char *name = fb_point_set_get_series_name (points, hit);

      fb_pareto_plot_set_series_hidden (self, name, !fb_plot_view_get_series_hidden (self->view, name));
      return;
    }
  hit = fb_plot_view_pick (self->view, x, y, PICK_RADIUS);
  if (hit >= 0)
    fb_pareto_plot_select (self, hit);
}

static gboolean
fb_pareto_plot_key_press (GtkWidget *widget, GdkEventKey *event)
{
  FbParetoPlot *self = FB_PARETO_PLOT (widget);
  int w = gtk_widget_get_allocated_width (widget), h = gtk_widget_get_allocated_height (widget);

  /* Keyboard zoom around the centre, for those without a wheel. */
  switch (event->keyval)
    {
    case GDK_KEY_plus: case GDK_KEY_KP_Add: case GDK_KEY_equal:
      fb_plot_view_zoom (self->view, 1 / ZOOM_STEP, w / 2.0, h / 2.0);
      break;
    case GDK_KEY_minus: case GDK_KEY_KP_Subtract:
      fb_plot_view_zoom (self->view, ZOOM_STEP, w / 2.0, h / 2.0);
      break;
    case GDK_KEY_0: case GDK_KEY_KP_0: case GDK_KEY_Home:
      fb_plot_view_reset (self->view);
      break;
    default:
      return GTK_WIDGET_CLASS (fb_pareto_plot_parent_class)->key_press_event (widget, event);
    }
  gtk_widget_queue_draw (widget);
  return GDK_EVENT_STOP;
}

static void
fb_pareto_plot_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  FbParetoPlot *self = FB_PARETO_PLOT (object);

  switch (prop_id)
    {
    case PROP_X_METRIC: g_value_set_enum (value, fb_plot_view_get_x_metric (self->view)); break;
    case PROP_Y_METRIC: g_value_set_enum (value, fb_plot_view_get_y_metric (self->view)); break;
    case PROP_LOG_X:    g_value_set_boolean (value, fb_plot_view_get_log_x (self->view)); break;
    case PROP_LOG_Y:    g_value_set_boolean (value, fb_plot_view_get_log_y (self->view)); break;
    default:            G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fb_pareto_plot_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  FbParetoPlot *self = FB_PARETO_PLOT (object);

  switch (prop_id)
    {
    case PROP_X_METRIC:
      fb_pareto_plot_set_axes (self, g_value_get_enum (value), fb_plot_view_get_y_metric (self->view));
      break;
    case PROP_Y_METRIC:
      fb_pareto_plot_set_axes (self, fb_plot_view_get_x_metric (self->view), g_value_get_enum (value));
      break;
    case PROP_LOG_X:
      fb_pareto_plot_set_log_x (self, g_value_get_boolean (value));
      break;
    case PROP_LOG_Y:
      fb_pareto_plot_set_log_y (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fb_pareto_plot_dispose (GObject *object)
{
  FbParetoPlot *self = FB_PARETO_PLOT (object);

  g_clear_object (&self->drag);
  g_clear_object (&self->press);
  g_clear_object (&self->motion);
  g_clear_object (&self->scroll);
  G_OBJECT_CLASS (fb_pareto_plot_parent_class)->dispose (object);
}

static void
fb_pareto_plot_finalize (GObject *object)
{
  FbParetoPlot *self = FB_PARETO_PLOT (object);

  g_clear_pointer (&self->view, fb_plot_view_free);
  G_OBJECT_CLASS (fb_pareto_plot_parent_class)->finalize (object);
}

static void
fb_pareto_plot_class_init (FbParetoPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = fb_pareto_plot_get_property;
  object_class->set_property = fb_pareto_plot_set_property;
  object_class->dispose = fb_pareto_plot_dispose;
  object_class->finalize = fb_pareto_plot_finalize;
  widget_class->draw = fb_pareto_plot_draw;
  widget_class->key_press_event = fb_pareto_plot_key_press;

  properties[PROP_X_METRIC] =
    g_param_spec_enum ("x-metric", NULL, NULL, FB_TYPE_PLOT_METRIC, FB_PLOT_METRIC_SIZE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_Y_METRIC] =
    g_param_spec_enum ("y-metric", NULL, NULL, FB_TYPE_PLOT_METRIC, FB_PLOT_METRIC_BOPS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOG_X] =
    g_param_spec_boolean ("log-x", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOG_Y] =
    g_param_spec_boolean ("log-y", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * FbParetoPlot::point-selected:
   * @index: the point's index in the current FbPointSet
   *
   * A point was clicked (or selected with fb_pareto_plot_select()).
   */
  signals[POINT_SELECTED] =
    g_signal_new ("point-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  /**
   * FbParetoPlot::series-toggled:
   * @name: the series' name
   * @hidden: whether it is hidden now
   *
   * A click on the legend (or fb_pareto_plot_set_series_hidden()) hid or
   * showed a series.
   */
  signals[SERIES_TOGGLED] =
    g_signal_new ("series-toggled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_BOOLEAN);

  gtk_widget_class_set_css_name (widget_class, "paretoplot");
}

static void
fb_pareto_plot_init (FbParetoPlot *self)
{
  GtkWidget *widget = GTK_WIDGET (self);

  self->view = fb_plot_view_new ();
  fb_plot_view_set_hint (self->view, _("Scroll zooms · drag pans · double-click fits"));
  gtk_widget_set_can_focus (widget, TRUE);
  gtk_widget_set_has_tooltip (widget, TRUE);
  /* Small: on a laptop screen the panels beside it need the room. */
  gtk_widget_set_size_request (widget, 220, 180);
  gtk_widget_add_events (widget, GDK_POINTER_MOTION_MASK | GDK_BUTTON_PRESS_MASK |
                                 GDK_BUTTON_RELEASE_MASK | GDK_SCROLL_MASK |
                                 GDK_SMOOTH_SCROLL_MASK | GDK_LEAVE_NOTIFY_MASK |
                                 GDK_KEY_PRESS_MASK);
  g_signal_connect (widget, "query-tooltip", G_CALLBACK (on_query_tooltip), self);

  self->motion = gtk_event_controller_motion_new (widget);
  g_signal_connect (self->motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (self->motion, "leave", G_CALLBACK (on_leave), self);

  self->scroll = gtk_event_controller_scroll_new (widget, GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (self->scroll, "scroll", G_CALLBACK (on_scroll), self);

  self->drag = gtk_gesture_drag_new (widget);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (self->drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (self->drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (self->drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (self->drag, "drag-end", G_CALLBACK (on_drag_end), self);

  self->press = gtk_gesture_multi_press_new (widget);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (self->press), GDK_BUTTON_PRIMARY);
  g_signal_connect (self->press, "pressed", G_CALLBACK (on_pressed), self);
  g_signal_connect (self->press, "released", G_CALLBACK (on_released), self);
}

void
fb_pareto_plot_set_points (FbParetoPlot *self, FbPointSet *points)
{
  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  fb_plot_view_set_points (self->view, points);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

FbPointSet *
fb_pareto_plot_get_points (FbParetoPlot *self)
{
  g_return_val_if_fail (FB_IS_PARETO_PLOT (self), NULL);
  return fb_plot_view_get_points (self->view);
}

void
fb_pareto_plot_set_axes (FbParetoPlot *self, FbPlotMetric x, FbPlotMetric y)
{
  FbPlotMetric old_x, old_y;

  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  old_x = fb_plot_view_get_x_metric (self->view);
  old_y = fb_plot_view_get_y_metric (self->view);
  fb_plot_view_set_axes (self->view, x, y);
  if (old_x != x)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_X_METRIC]);
  if (old_y != y)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_Y_METRIC]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

FbPlotMetric
fb_pareto_plot_get_x_metric (FbParetoPlot *self)
{
  return fb_plot_view_get_x_metric (self->view);
}

FbPlotMetric
fb_pareto_plot_get_y_metric (FbParetoPlot *self)
{
  return fb_plot_view_get_y_metric (self->view);
}

void
fb_pareto_plot_set_log_x (FbParetoPlot *self, gboolean log_x)
{
  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  if (!!log_x == fb_plot_view_get_log_x (self->view))
    return;
  fb_plot_view_set_log (self->view, log_x, fb_plot_view_get_log_y (self->view));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_X]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
fb_pareto_plot_get_log_x (FbParetoPlot *self)
{
  return fb_plot_view_get_log_x (self->view);
}

void
fb_pareto_plot_set_log_y (FbParetoPlot *self, gboolean log_y)
{
  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  if (!!log_y == fb_plot_view_get_log_y (self->view))
    return;
  fb_plot_view_set_log (self->view, fb_plot_view_get_log_x (self->view), log_y);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_Y]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
fb_pareto_plot_get_log_y (FbParetoPlot *self)
{
  return fb_plot_view_get_log_y (self->view);
}

void
fb_pareto_plot_set_current (FbParetoPlot *self, const double *values, const char *label)
{
  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  fb_plot_view_set_current (self->view, values, label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
fb_pareto_plot_select (FbParetoPlot *self, int index)
{
  FbPointSet *points;

  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  points = fb_plot_view_get_points (self->view);
  if (index >= 0 && (points == NULL || (guint) index >= fb_point_set_get_n_points (points)))
    index = -1;
  fb_plot_view_set_selected (self->view, index);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (index >= 0)
    g_signal_emit (self, signals[POINT_SELECTED], 0, index);
}

void
fb_pareto_plot_set_series_hidden (FbParetoPlot *self, const char *name, gboolean hidden)
{
  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  g_return_if_fail (name != NULL);
  if (fb_plot_view_get_series_hidden (self->view, name) == hidden)
    return;
  fb_plot_view_set_series_hidden (self->view, name, hidden);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SERIES_TOGGLED], 0, name, hidden);
}

int
fb_pareto_plot_get_selected (FbParetoPlot *self)
{
  return fb_plot_view_get_selected (self->view);
}

void
fb_pareto_plot_reset_view (FbParetoPlot *self)
{
  g_return_if_fail (FB_IS_PARETO_PLOT (self));
  fb_plot_view_reset (self->view);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
fb_pareto_plot_export (FbParetoPlot *self, const char *path, FbPlotFormat format, GError **error)
{
  int w = MAX (gtk_widget_get_allocated_width (GTK_WIDGET (self)), 640);
  int h = MAX (gtk_widget_get_allocated_height (GTK_WIDGET (self)), 420);
  int hover = fb_plot_view_get_hover (self->view);
  g_autofree char *hint = g_strdup (fb_plot_view_get_hint (self->view));
  gboolean ok;

  gboolean dark = fb_plot_view_get_dark (self->view);

  /* The pointer and the usage hint are not part of the picture; a figure
   * for a document is light whatever the theme. */
  fb_plot_view_set_hover (self->view, -1);
  fb_plot_view_set_hint (self->view, NULL);
  fb_plot_view_set_dark (self->view, FALSE);
  ok = fb_plot_view_export (self->view, path, format, w, h, error);
  fb_plot_view_set_dark (self->view, dark);
  fb_plot_view_set_hover (self->view, hover);
  fb_plot_view_set_hint (self->view, hint);
  /* Export re-laid the view out at its own size; restore ours. */
  fb_plot_view_set_size (self->view, gtk_widget_get_allocated_width (GTK_WIDGET (self)),
                         gtk_widget_get_allocated_height (GTK_WIDGET (self)));
  return ok;
}

FbPlotView *
fb_pareto_plot_get_view (FbParetoPlot *self)
{
  g_return_val_if_fail (FB_IS_PARETO_PLOT (self), NULL);
  return self->view;
}
