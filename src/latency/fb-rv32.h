/* fb-rv32.h — build an rv32imc ELF at run time and run it under QEMU.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by `freebits-cli bench kernels --target rv32imc` and the latency harness
 * (`freebits-cli latency measure|run --target rv32imc`): the cross compiler
 * (riscv64-unknown-elf-gcc, picolibc with semihosting) compiles C sources to an ELF for the
 * QEMU `virt` machine; qemu-system-riscv32 -icount shift=0 runs it, so that the minstret
 * counts the program reads are deterministic.  The program's console output (semihosting)
 * arrives on QEMU's stderr; its files are opened relative to QEMU's working directory.
 *
 * Built ELFs are cached under $XDG_CACHE_HOME/freebits/rv32 (or $FB_RV32_CACHE_DIR), keyed by
 * the SHA-256 of the compiler's version, the flags and the contents of every source and
 * header in the include directories, so repeated runs skip the cross build.  Set
 * FB_RV32_NO_CACHE=1 to always build afresh (into a temporary directory).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FB_RV32_CC   "riscv64-unknown-elf-gcc"
#define FB_RV32_QEMU "qemu-system-riscv32"
#define FB_RV32_INSTALL_HINT "install the Debian packages gcc-riscv64-unknown-elf, " \
                             "picolibc-riscv64-unknown-elf and qemu-system-misc"

typedef struct {
  char *cc;           /* absolute path of the cross compiler */
  char *qemu;         /* absolute path of qemu-system-riscv32 */
  char *cc_version;   /* first line of `cc --version` */
} FbRv32Toolchain;

/* Finds the cross compiler, picolibc and QEMU; the error (G_IO_ERROR_NOT_FOUND) names the
 * missing piece and the packages to install. */
FbRv32Toolchain *fb_rv32_toolchain_find   (GError          **error);
void             fb_rv32_toolchain_free   (FbRv32Toolchain  *tc);

/* The compiler and linker flags of every rv32imc ELF (NULL-terminated), and as one string. */
const char *const *fb_rv32_cflags         (void);
char            *fb_rv32_cflags_string    (void);

/* The arguments QEMU gets before the ELF (NULL-terminated, without the program name), and
 * the whole command line "qemu-system-riscv32 ARGS..." without the ELF as one string: the
 * exported bundle's `make run-rv32imc` runs exactly what fb_rv32_spawn() runs. */
const char *const *fb_rv32_qemu_args      (void);
char            *fb_rv32_qemu_command_string (void);

/* A directory of the freebits source tree: $FB_SOURCE_ROOT/@subdir if it holds @probe,
 * else @compiled_in if it holds @probe; NULL when neither does. */
char            *fb_rv32_find_source_dir  (const char       *subdir,
                                           const char       *probe,
                                           const char       *compiled_in);

/* Compiles @sources (absolute paths, NULL-terminated) with -I of each of @include_dirs into
 * an ELF named after @name, or takes it from the cache.  Returns its path; *temporary is
 * set when the caller must delete the file (and its directory) after use. */
char            *fb_rv32_build_elf        (FbRv32Toolchain  *tc,
                                           const char       *name,
                                           const char *const *sources,
                                           const char *const *include_dirs,
                                           gboolean         *temporary,
                                           GCancellable     *cancellable,
                                           GError          **error);
/* Deletes a temporary ELF returned by fb_rv32_build_elf() and its directory. */
void             fb_rv32_remove_temporary (const char       *elf);

/* Starts QEMU on @elf with working directory @cwd (may be NULL): stdin /dev/null, stdout
 * discarded, stderr (the program's console) piped. */
GSubprocess     *fb_rv32_spawn            (FbRv32Toolchain  *tc,
                                           const char       *elf,
                                           const char       *cwd,
                                           GError          **error);
/* Runs QEMU on @elf to the end; *output receives the program's console output.  Fails if
 * QEMU exits with a non-zero status. */
gboolean         fb_rv32_run              (FbRv32Toolchain  *tc,
                                           const char       *elf,
                                           const char       *cwd,
                                           char            **output,
                                           GCancellable     *cancellable,
                                           GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FbRv32Toolchain, fb_rv32_toolchain_free)

G_END_DECLS
