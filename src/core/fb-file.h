/* fb-file.h — bounded reads of input files.
 *
 * Every loader reads its input through fb_file_read(), so a FIFO, a device
 * (/dev/zero) or a directory gets one clear error instead of a read that
 * never ends, and a file larger than its format's limit is refused before it
 * is read. The limits are documented in docs/formats.md ("Limits").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Per-format size limits, in bytes. */
#define FB_FILE_MAX_JSON     ((gsize) 64 << 20)   /* network, config, latency, candidates */
#define FB_FILE_MAX_CSV      ((gsize) 64 << 20)   /* latency CSV */
#define FB_FILE_MAX_WEIGHTS  ((gsize) 1 << 30)    /* freebits-weights/1 (header + blob) */

/* Reads the regular file @path whole (NUL-terminated, like g_file_get_contents()),
 * or fails with FB_ERROR_IO naming @path: not a regular file, larger than
 * @max_bytes, or unreadable. @what names the expected kind ("a JSON file"). */
gboolean fb_file_read (const char  *path,
                       gsize        max_bytes,
                       const char  *what,
                       char       **contents,
                       gsize       *length,
                       GError     **error);

/* Writes @path atomically: a temporary ".NAME.fb-tmp-XXXXXX" next to it, fsync,
 * rename. A process killed mid-write leaves only such a temporary, and the next
 * write of the same @path removes it (so two processes must not write one
 * path at once). Errors are FB_ERROR_IO naming @path. */
gboolean fb_file_write_atomic (const char  *path,
                               const void  *data,
                               gsize        length,
                               int          mode,
                               GError     **error);

G_END_DECLS
