/* fb-results-table.h — every plotted result as a sortable, filterable table
 * (Optuna Dashboard's trial table): name, method, λ / start, target, Flash,
 * BOPs, latency, accuracy and on how many images it was measured.
 *
 * It shows a sealed FbPointSet (the plot's), one row per point; the row of
 * point i knows i, so the window links the table's selection and the
 * plot's both ways. Rows are rebuilt from the set only while the table is
 * mapped (streaming searches cost nothing while it is hidden).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "fb-point-set.h"
#include "fb-ui-types.h"

G_BEGIN_DECLS

#define FB_TYPE_RESULTS_TABLE (fb_results_table_get_type ())
G_DECLARE_FINAL_TYPE (FbResultsTable, fb_results_table, FB, RESULTS_TABLE, GtkBox)

typedef enum {
  FB_RESULTS_TABLE_COLUMN_INDEX,      /* int: the point's index in the set */
  FB_RESULTS_TABLE_COLUMN_NAME,
  FB_RESULTS_TABLE_COLUMN_METHOD,     /* the plot series */
  FB_RESULTS_TABLE_COLUMN_PARAM,      /* "λ = 0.05", "start w8a8", "12 changes" */
  FB_RESULTS_TABLE_COLUMN_TARGET,
  FB_RESULTS_TABLE_COLUMN_SIZE,       /* double, bytes */
  FB_RESULTS_TABLE_COLUMN_BOPS,       /* double */
  FB_RESULTS_TABLE_COLUMN_LATENCY,    /* double, the table's unit; NAN: unknown */
  FB_RESULTS_TABLE_COLUMN_ACCURACY,   /* double, fraction; NAN: not measured */
  FB_RESULTS_TABLE_COLUMN_IMAGES,     /* uint: images the accuracy was measured on, 0: unknown */
  FB_RESULTS_TABLE_COLUMN_SERIES,     /* uint */
  FB_RESULTS_TABLE_COLUMN_SLOT,       /* int: -1 for the plot's points, else the extra set's slot */
  FB_RESULTS_TABLE_COLUMN_EXTRA,      /* int: the point's index in that extra set */
  FB_RESULTS_TABLE_N_COLUMNS
} FbResultsTableColumn;

GtkWidget    *fb_results_table_new              (void);

/* Shows @points (sealed, referenced; NULL clears). @images: how many test
 * images the set's accuracies were measured on, unless a result says. */
void          fb_results_table_set_points       (FbResultsTable      *self,
                                                 FbPointSet          *points,
                                                 guint                images);
/* Results that are not in the plot, as more rows: slot 0 the Compare
 * page's configs, slot 1 opened config files. Their method reads
 * "@prefix · series"; selecting one emits "config-selected" (slot, config,
 * label). NULL clears. */
#define FB_RESULTS_TABLE_N_EXTRA 2
void          fb_results_table_set_extra        (FbResultsTable      *self,
                                                 guint                slot,
                                                 FbPointSet          *points,
                                                 const char          *prefix);
/* Hides (or shows again) the rows of one series (the plot's legend). */
void          fb_results_table_set_series_hidden (FbResultsTable     *self,
                                                 const char          *name,
                                                 gboolean             hidden);
/* Selects the row of point @index (-1: none) without emitting
 * "point-selected", and scrolls to it. */
void          fb_results_table_select           (FbResultsTable      *self,
                                                 int                  index);
/* The selected row's point index, or -1. */
int           fb_results_table_get_selected     (FbResultsTable      *self);
/* Visible rows (after the filter), rebuilding first if the set changed. */
guint         fb_results_table_get_n_rows       (FbResultsTable      *self);
/* The point index shown in visible row @row (in the current sort order);
 * -1 for a row of an extra set. */
int           fb_results_table_get_row_index    (FbResultsTable      *self,
                                                 guint                row);
void          fb_results_table_sort             (FbResultsTable      *self,
                                                 FbResultsTableColumn column,
                                                 GtkSortType          order);
/* Rows whose name, method, parameters or target contain @text (any case). */
void          fb_results_table_set_filter       (FbResultsTable      *self,
                                                 const char          *text);
/* The config of point @index as a freebits-config/1 document (what "Copy
 * as Config" puts on the clipboard), or NULL. */
char         *fb_results_table_config_text      (FbResultsTable      *self,
                                                 int                  index);
/* The accuracy column's title ("Top-1 accuracy"; NULL: "Accuracy"). */
void          fb_results_table_set_accuracy_title (FbResultsTable   *self,
                                                 const char          *title);
GtkTreeView  *fb_results_table_get_view         (FbResultsTable      *self);

G_END_DECLS
