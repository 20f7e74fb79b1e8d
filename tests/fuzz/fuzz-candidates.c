/* fuzz-candidates.c — freebits-candidates/1 JSON for the bundled fmnist-mbv1.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-candidate-list.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fb_json_load_data ((const char *) data, (gssize) size, "fuzz", &error);
  g_autoptr(FbCandidateList) list = NULL;

  if (root != NULL)
    list = fb_candidate_list_new_from_json (fuzz_network (), root, "fuzz", &error);
  fuzz_check_error (error);
  if (list != NULL)
    {
      g_autoptr(JsonNode) json = fb_candidate_list_to_json (list);
      fuzz_reload (json);
    }
  return 0;
}
