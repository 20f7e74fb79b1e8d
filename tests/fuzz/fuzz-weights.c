/* fuzz-weights.c — freebits-weights/1 (JSON header, NUL, float32 blob), for the
 * bundled fmnist-mbv1 network and for no network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "fb-weights.h"
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FbWeights) with_net = fb_weights_load_from_data (data, size, "fuzz", fuzz_network (), &error);
  g_autoptr(FbWeights) alone = NULL;

  fuzz_check_error (error);
  g_clear_error (&error);
  alone = fb_weights_load_from_data (data, size, "fuzz", NULL, &error);
  fuzz_check_error (error);
  if (alone != NULL)
    {
      /* What freebits writes, it reads. */
      g_autoptr(GBytes) bytes = fb_weights_to_bytes (alone);
      gsize n = 0;
      const guint8 *p = g_bytes_get_data (bytes, &n);
      g_autoptr(GError) e2 = NULL;
      g_autoptr(FbWeights) back = fb_weights_load_from_data (p, n, "written", NULL, &e2);
      if (back == NULL)
        {
          g_printerr ("freebits cannot read the weights it wrote: %s\n", e2->message);
          abort ();
        }
    }
  return 0;
}
