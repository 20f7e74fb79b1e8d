/* fb-cli.h — freebits-cli subcommands and shared helpers.
 *
 * Every subcommand has the signature of main(): argv[0] is the subcommand
 * name. Exit status: 0 success, 1 failure of the job itself, 2 bad input
 * (usage, missing or malformed files).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "fb-accuracy-oracle.h"
#include "fb-app-session.h"
#include "fb-candidate-list.h"
#include "fb-json.h"
#include "fb-latency-table.h"
#include "fb-metrics.h"
#include "fb-network.h"
#include "fb-precision-config.h"
#include "fb-weights.h"

G_BEGIN_DECLS

#define FB_CLI_EXIT_OK     0
#define FB_CLI_EXIT_FAILED 1
#define FB_CLI_EXIT_INPUT  2

int  fb_cli_info    (int argc, char **argv);
int  fb_cli_metrics (int argc, char **argv);
int  fb_cli_bench   (int argc, char **argv);
int  fb_cli_bench_search (int argc, char **argv);
int  fb_cli_compare (int argc, char **argv);
int  fb_cli_latency (int argc, char **argv);
int  fb_cli_search  (int argc, char **argv);
int  fb_cli_train   (int argc, char **argv);
int  fb_cli_finetune (int argc, char **argv);
/* train and finetune share one implementation (fb-cli-train.c). */
int  fb_cli_train_or_finetune (int argc, char **argv, gboolean finetune);
int  fb_cli_eval    (int argc, char **argv);
int  fb_cli_export  (int argc, char **argv);
int  fb_cli_import  (int argc, char **argv);

/* --data, --layout, --val-split of the commands that measure accuracy
 * (search, compare, export; eval and train have their own): the texts as
 * given, handed to fb_cli_session_new() (fb-cli-search.c). */
typedef struct {
  char   *path;
  char   *layout;
  double  val_split;
} FbCliData;

#define FB_CLI_DATA_ENTRIES(d) \
  { "data", 0, 0, G_OPTION_ARG_FILENAME, &(d)->path, "Dataset: .npz, .npy, IDX, CIFAR-10 .bin, class folders of " \
    "images, or a directory of those (default: Fashion-MNIST)", "PATH" }, \
  { "layout", 0, 0, G_OPTION_ARG_STRING, &(d)->layout, "Layout of 4-D arrays: nhwc, nchw or auto (default)", "L" }, \
  { "val-split", 0, 0, G_OPTION_ARG_DOUBLE, &(d)->val_split, \
    "One-set data: the last fraction F of it is the test part (default: all of it)", "F" }

/* One spelling of the options many commands share: the long and short
 * name, the argument type and the placeholder are the same in every
 * command's --help; the help text says what the option is for there. */
#define FB_CLI_CONFIG_ENTRY(var, help)  { "config", 'c', 0, G_OPTION_ARG_FILENAME, (var), (help), "CONFIG" }
#define FB_CLI_WEIGHTS_ENTRY(var, help) { "weights", 'w', 0, G_OPTION_ARG_FILENAME, (var), (help), "FILE" }
#define FB_CLI_LATENCY_ENTRY(var, help) { "latency", 'l', 0, G_OPTION_ARG_FILENAME, (var), (help), "TABLE" }
#define FB_CLI_OUTPUT_ENTRY(var, help, placeholder) \
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, (var), (help), (placeholder) }
#define FB_CLI_TARGET_ENTRY(var, help)  { "target", 't', 0, G_OPTION_ARG_STRING, (var), (help), "TARGET" }
#define FB_CLI_JSON_ENTRY(var, help)    { "json", 0, 0, G_OPTION_ARG_NONE, (var), (help), NULL }
#define FB_CLI_QUIET_ENTRY(var, help)   { "quiet", 'q', 0, G_OPTION_ARG_NONE, (var), (help), NULL }

void fb_cli_data_clear (FbCliData *d);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (FbCliData, fb_cli_data_clear)

/* The session of @network with --weights (NULL: the network's) and the data
 * options. With --data the data set is opened and checked against the
 * network here, so a bad one is the user's input (exit 2) before any slow
 * step. NULL after printing the problem, *@status then holds the exit code. */
FbAppSession     *fb_cli_session_new   (FbNetwork    *network,
                                        const char   *weights_path,
                                        FbCliData    *data,
                                        int          *status);

/* The accuracy oracle for search and compare (fb-cli-search.c); NULL without
 * an error while no accuracy engine exists for the session's network. */
FbAccuracyOracle *fb_cli_create_oracle (FbAppSession *session,
                                        GError      **error);

/* Parses options of a subcommand (@entries: the ones added to @context; a short option's
 * value may be attached, "-j2"); prints the error and returns FALSE on bad usage. */
gboolean fb_cli_parse      (GOptionContext     *context,
                            const GOptionEntry *entries,
                            int                *argc,
                            char             ***argv);
/* The start of most subcommands: sets @summary (unless NULL) and @entries on @context,
 * parses, and checks that exactly one operand follows ("expected one @operand file").
 * Returns FALSE after printing the problem; the subcommand then exits with
 * FB_CLI_EXIT_INPUT. */
gboolean fb_cli_parse_one  (GOptionContext     *context,
                            const GOptionEntry *entries,
                            const char         *operand,
                            int                *argc,
                            char             ***argv,
                            const char         *summary);
/* The float weights of @net: from *@weights_path, or when that is NULL from the file the
 * network names (stored into *@weights_path); an error naming @network_path when it names
 * none. */
FbWeights      *fb_cli_load_weights (FbNetwork  *net,
                                     const char *network_path,
                                     char      **weights_path,
                                     GError    **error);
/* Loads the latency table at @path and checks that it is for @net. */
FbLatencyTable *fb_cli_load_table   (const char *path,
                                     FbNetwork  *net,
                                     GError    **error);
/* Prints "freebits-cli: MESSAGE" on stderr and returns @status. */
int      fb_cli_error      (const GError   *error,
                            int             status);
int      fb_cli_usage      (GOptionContext *context,
                            const char     *message);
/* The human-readable table of @list (search, eval --configs): method, config,
 * size, BOPs, latency in @table's unit (NULL: "latency"), RAM, accuracy. */
void     fb_cli_print_candidates (FbCandidateList *list,
                                  FbLatencyTable  *table);
/* Prints a JSON tree compactly or pretty on stdout. */
void     fb_cli_print_json (JsonNode       *root);
/* "1 234 567" style grouping for tables. */
char    *fb_cli_group      (guint64         value);

G_END_DECLS
