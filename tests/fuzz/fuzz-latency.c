/* fuzz-latency.c — freebits-latency/1 JSON, checked against the bundled fmnist-mbv1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "fb-latency-table.h"
#include "fb-metrics.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fb_json_load_data ((const char *) data, (gssize) size, "fuzz", &error);
  g_autoptr(FbLatencyTable) table = NULL;

  if (root != NULL)
    table = fb_latency_table_new_from_json (root, "fuzz", &error);
  fuzz_check_error (error);
  if (table != NULL)
    {
      g_autoptr(JsonNode) json = fb_latency_table_to_json (table);
      g_autoptr(FbPrecisionConfig) w8a8 = fb_precision_config_new_uniform (fuzz_network (), 8, 8, NULL);
      FbMetrics m;

      fuzz_reload (json);
      /* The sum over the layers: finite or an error, never inf. */
      if (fb_metrics_compute (w8a8, table, &m, NULL, &error) && !isfinite (m.latency))
        abort ();
      fuzz_check_error (error);
    }
  return 0;
}
