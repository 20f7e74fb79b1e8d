/* fb-cli-finetune.c — freebits-cli finetune NETWORK --config C --weights W -o OUT
 *
 * Quantization-aware training of one fixed precision config, starting from
 * the supernet weights: the same trainer, progress display, checkpoints and
 * Ctrl-C handling as `train` (fb-cli-train.c), with the config's weights and
 * activations fake-quantized in every step.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fb-cli.h"

int
fb_cli_finetune (int argc, char **argv)
{
  return fb_cli_train_or_finetune (argc, argv, TRUE);
}
