/* fb-ui-format.h — numbers for people: byte sizes, large counts, latencies.
 *
 * One place decides how freebits prints a quantity, so the plot, the layer
 * table and the summary agree (kB means 1000 bytes everywhere).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-latency-table.h"

G_BEGIN_DECLS

/* "401 408": digits grouped by threes with a narrow no-break space, which
 * reads the same in every locale (SI style). */
char *fb_ui_format_count     (guint64        value);
/* Three significant digits: "812", "45.2", "4.15"; NAN gives "—". */
char *fb_ui_format_sig       (double         value);
/* "812 B", "45.2 kB", "1.23 MB" (1 kB = 1000 B). */
char *fb_ui_format_bytes     (double         bytes);
/* "66.4 M", "812 k", "3.21 G": an SI prefix and three significant digits. */
char *fb_ui_format_si        (double         value);
/* A latency in its table's unit: "1.23 M instr.", "812 k cycles", "4.56 ms". */
char *fb_ui_format_latency   (double         value,
                              FbLatencyUnit  unit);
/* Translated "measured", "modeled", "imported" (files keep the English words). */
const char *fb_ui_latency_method_name (FbLatencyMethod method);
/* Translated "instructions", "cycles", "µs". */
const char *fb_ui_latency_unit_name   (FbLatencyUnit   unit);
/* A duration for progress and status lines: "less than a second",
 * "12 seconds", "3 minutes", "2 hours". */
char *fb_ui_format_duration  (double         seconds);
/* "−62 %", "+3.1 %", "±0 %": change of @value relative to @reference. */
char *fb_ui_format_change    (double         value,
                              double         reference);

G_END_DECLS
