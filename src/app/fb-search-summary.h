/* fb-search-summary.h — a short text for a config in result tables and logs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "fb-precision-config.h"

G_BEGIN_DECLS

/* "w8a8" for a uniform config, else bit counts: "w 8:10 4:3 · a 8:9 4:4". */
char *fb_search_config_summary (FbPrecisionConfig *config);

G_END_DECLS
