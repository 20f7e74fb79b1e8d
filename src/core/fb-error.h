/* fb-error.h — the single GError domain of freebits.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FB_ERROR (fb_error_quark ())

typedef enum {
  FB_ERROR_IO,        /* file cannot be read or written */
  FB_ERROR_PARSE,     /* not JSON / CSV at all */
  FB_ERROR_FORMAT,    /* wrong or missing "format" tag */
  FB_ERROR_FIELD,     /* missing field, wrong type, value out of range */
  FB_ERROR_GRAPH,     /* unknown tensor, cycle, duplicated name, dangling output */
  FB_ERROR_SHAPE,     /* shapes that do not fit together */
  FB_ERROR_BITS,      /* unsupported bit-width or packing that cannot hold it */
  FB_ERROR_MISMATCH,  /* file made for another network */
  FB_ERROR_MISSING,   /* a latency table lacks an entry */
} FbError;

GQuark fb_error_quark (void);

/* Prefix an error's message with the file it came from, unless it already names it. */
void fb_error_prefix_file (GError **error, const char *path);

/* Rewrites the message of *@error (if any) to one line: newlines, tabs and other control
 * characters a file put into a quoted name become \n, \t, \xHH, and a message over 4000
 * characters is cut. Every loader's entry point calls it on failure. */
void fb_error_one_line (GError **error);
/* The same for any text: a newly allocated one-line copy of @text. */
char *fb_error_flatten (const char *text);

G_END_DECLS
