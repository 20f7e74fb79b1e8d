/* fb-search.h — what every search job shares: callbacks, cancellation, constraints.
 *
 * A search runs synchronously in the caller's thread (a worker thread in the UI),
 * reports progress, streams each candidate as soon as it is final and checks its
 * GCancellable often; cancelled jobs return FALSE with G_IO_ERROR_CANCELLED.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "fb-candidate.h"
#include "fb-candidate-list.h"
#include "fb-search-constraints.h"

G_BEGIN_DECLS

/* @fraction in [0, 1]; @message is a short phrase for a status line. */
typedef void (*FbSearchProgressFunc)  (double       fraction,
                                       const char  *message,
                                       gpointer     user_data);
/* Called once per result, in the order the job finds them; the candidate is
 * borrowed (ref it to keep it). */
typedef void (*FbSearchCandidateFunc) (FbCandidate *candidate,
                                       gpointer     user_data);

G_END_DECLS
