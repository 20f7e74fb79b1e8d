/* fuzz-network.c — freebits-network/1 JSON.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbNetwork) net = fb_network_load_from_data ((const char *) data, (gssize) size, "fuzz", &error);

  fuzz_check_error (error);
  if (net != NULL)
    {
      g_autoptr(JsonNode) json = fb_network_to_json (net, NULL);
      fuzz_reload (json);
    }
  return 0;
}
