/* fuzz-config.c — freebits-config/1 JSON, for the bundled fmnist-mbv1 network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-precision-config.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fb_json_load_data ((const char *) data, (gssize) size, "fuzz", &error);
  g_autoptr(FbPrecisionConfig) config = NULL;

  if (root != NULL)
    config = fb_precision_config_new_from_json (fuzz_network (), root, "fuzz", &error);
  fuzz_check_error (error);
  if (config != NULL)
    {
      g_autoptr(JsonNode) json = fb_precision_config_to_json (config);
      fuzz_reload (json);
    }
  return 0;
}
