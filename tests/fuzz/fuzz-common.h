/* fuzz-common.h — shared by the libFuzzer targets (header only).
 *
 * Each target feeds one loader the bytes libFuzzer gives it, exactly as the
 * file loader would after reading them (fb_file_read), and checks that what
 * loads writes back to text that loads again (the "1e+20.0" class of bug).
 * A crash, a sanitizer report or an abort() here is a finding.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdint.h>
#include <stdlib.h>

#include "fb-json.h"
#include "fb-network.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The bundled Fashion-MNIST MobileNetV1 (FB_FUZZ_NETWORK, set by meson): configs,
 * tables, candidates and weights are checked against it. Loaded once. */
static inline FbNetwork *
fuzz_network (void)
{
  static FbNetwork *net;

  if (net == NULL)
    {
      g_autoptr(GError) error = NULL;
      net = fb_network_load (FB_FUZZ_NETWORK, &error);
      if (net == NULL)
        {
          g_printerr ("%s\n", error->message);
          abort ();
        }
    }
  return net;
}

/* Text written by freebits must load again; abort() if not. */
static inline void
fuzz_reload (JsonNode *written)
{
  g_autofree char *text = fb_json_to_string (written, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) back = fb_json_load_data (text, -1, "written", &error);

  if (back == NULL)
    {
      g_printerr ("freebits cannot read what it wrote: %s\n", error->message);
      abort ();
    }
}

/* An error must be one line. */
static inline void
fuzz_check_error (const GError *error)
{
  if (error != NULL && strchr (error->message, '\n') != NULL)
    {
      g_printerr ("multi-line error: %s\n", error->message);
      abort ();
    }
}
