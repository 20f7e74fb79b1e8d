/* fuzz-csv.c — a latency CSV (`latency import`) for the bundled fmnist-mbv1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-latency-import.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbLatencyTable) table = NULL;

  /* As fb_latency_import_csv_file() after reading the file. */
  if (!g_utf8_validate ((const char *) data, (gssize) size, NULL))
    return 0;
  table = fb_latency_import_csv (fuzz_network (), (const char *) data, (gssize) size, "fuzz",
                                 "board", FB_LATENCY_UNIT_CYCLES, &error);
  fuzz_check_error (error);
  if (table != NULL)
    {
      g_autoptr(JsonNode) json = fb_latency_table_to_json (table);
      fuzz_reload (json);
    }
  return 0;
}
