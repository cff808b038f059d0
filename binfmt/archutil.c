/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON's "supported" list as BuildKit's util/archutil.SupportedPlatforms() writes it, which
 * tonistiigi/binfmt prints (moby/buildkit util/archutil/detect.go, tonistiigi/binfmt cmd/binfmt/main.go):
 * the host first, then amd64's micro-architecture levels the CPU has (on an amd64 host), then the
 * platforms below in this order, each when its probe ran. Names as archutil writes them: arm64 without
 * "/v8", 32-bit arm as "arm/v7" and "arm/v6" (never v5 or v8). */
#include <string.h>

#include "binfmt.h"
#include "macro.h"

static const struct {
        const char *platform;
        const char *arch;        /* the host's OCI arch this row is skipped on */
        const char *target;      /* binfmt_target_table row whose probe decides */
} archutil_platforms[] = {
        { "linux/amd64",    "amd64",    "x86_64" },
        { "linux/arm64",    "arm64",    "aarch64" },
        { "linux/riscv64",  "riscv64",  "riscv64" },
        { "linux/ppc64le",  "ppc64le",  "ppc64le" },
        { "linux/s390x",    "s390x",    "s390x" },
        { "linux/386",      "386",      "i386" },
        { "linux/mips64le", "mips64le", "mips64el" },
        { "linux/mips64",   "mips64",   "mips64" },
        { "linux/loong64",  "loong64",  "loongarch64" },
        { "linux/arm/v7",   "arm",      "arm" },
        { "linux/arm/v6",   "arm",      "arm" },
};

/* amd64's levels (the x86-64 psABI; archutil's amd64 variants), as GCC's CPU check names them. */
static size_t amd64_levels(const char **ret, size_t max) {
        size_t n = 0;
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (n < max && __builtin_cpu_supports("x86-64-v2"))
                ret[n++] = "linux/amd64/v2";
        if (n < max && __builtin_cpu_supports("x86-64-v3"))
                ret[n++] = "linux/amd64/v3";
        if (n < max && __builtin_cpu_supports("x86-64-v4"))
                ret[n++] = "linux/amd64/v4";
#endif
        return n;
}

size_t archutil_supported(const Platform *host, const char *host_string, const ProbeResult *target_probe,
                          size_t n_probe, const char **ret, size_t max) {
        size_t n = 0;

        if (n < max)
                ret[n++] = host_string;
        if (streq(host->arch, "amd64"))
                n += amd64_levels(ret + n, max - n);
        for (size_t i = 0; i < ELEMENTSOF(archutil_platforms) && n < max; i++) {
                const BinfmtTarget *t = binfmt_target_lookup(archutil_platforms[i].target);
                size_t k;

                if (streq(host->arch, archutil_platforms[i].arch) || !t)
                        continue;
                k = (size_t) (t - binfmt_target_table);
                if (k < n_probe && target_probe[k] == PROBE_OK)
                        ret[n++] = archutil_platforms[i].platform;
        }
        return n;
}
