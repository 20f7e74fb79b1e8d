/* fb-latency-import.h — latency tables measured elsewhere, from CSV.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One header line naming the columns layer, a_bits, w_bits, o_bits, cost (any order, case
 * and surrounding blanks ignored), then one row per (layer, precision key).  For an add
 * layer w_bits holds the second input's bits; for a global average pool w_bits stays empty
 * and o_bits equals a_bits; the classifier's o_bits is 32.  Empty lines and lines starting
 * with '#' are skipped.  Every error names the file, the line and the column; after
 * reading, every layer of the network must have every admissible key (the error lists the
 * missing ones).
 */
#pragma once

#include "fb-latency-table.h"
#include "fb-network.h"

G_BEGIN_DECLS

FbLatencyTable *fb_latency_import_csv      (FbNetwork     *network,
                                            const char    *data,
                                            gssize         length,
                                            const char    *origin,
                                            const char    *target,
                                            FbLatencyUnit  unit,
                                            GError       **error);
FbLatencyTable *fb_latency_import_csv_file (FbNetwork     *network,
                                            const char    *path,
                                            const char    *target,
                                            FbLatencyUnit  unit,
                                            GError       **error);

G_END_DECLS
