/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel.h"
#include "accel-report.h"
#include "file-util.h"
#include "libexec.h"
#include "macro.h"
#include "sandbox.h"
#include "strv.h"
#include "twins.h"

/* The host cross driver's built-in specs (`TRIPLE-gcc-MAJOR -dumpspecs`), which accel_install() patches. */
static int host_specs(const AccelPlatform *p, char **ret) {
        _cleanup_free_ char *cmd = NULL, *out = NULL;
        FILE *f;
        int r;

        if (asprintf(&cmd, "/usr/bin/%s-gcc-%s -dumpspecs 2>/dev/null", p->triple, p->gcc_major) < 0)
                return -ENOMEM;
        f = popen(cmd, "re");
        if (!f)
                return negative_errno();
        r = read_full_stream(f, &out, NULL);
        if (pclose(f) != 0 || r < 0 || !*out)
                return r < 0 ? r : -ENOENT;
        *ret = TAKE_PTR(out);
        return 0;
}

typedef struct InstallCall {
        AccelInstall install;
        AccelResult result;
} InstallCall;

/* In sandbox_call()'s child: the scratch overlay is mounted at install.root. */
static int install_in_root(int root_fd, int from_fd, void *userdata, ErrorDetail *err) {
        InstallCall *c = userdata;
        int r = accel_install(&c->install, &c->result);

        if (r == -ESRCH)
                return error_detail_set(err, r, "no tool of the root can be twinned%s%s",
                                        c->result.skipped_why[0] ? ": " : "", c->result.skipped_why);
        if (r < 0)
                return error_detail_set(err, r, "accel_install: %m");
        return r;
}

/* Nothing to install, and why: twins_install()'s 0. */
_printf_(2, 3) static int no_twins(ErrorDetail *why, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) error_detail_setv(why, -ESRCH, format, ap);
        va_end(ap);
        return 0;
}

int twins_install(Store *s, const Platform *p, char **lowers, char **ret_tree, ErrorDetail *why) {
        _cleanup_free_ char *launcher = NULL, *specs = NULL, *dir = NULL, *upper = NULL, *work = NULL, *merged = NULL,
                           *compiler_cache = NULL, *tool_cache = NULL;
        const AccelPlatform *ap = accel_platform_lookup(p->arch);
        InstallCall call = {};
        int r;

        if (!ap)
                return no_twins(why, "no twins exist for %s", p->arch);
        if (libexec_find("archway-twin-launch", getenv("ARCHWAY_SHIM_DIR"), &launcher) < 0)
                return no_twins(why, "archway-twin-launch is not built or installed");
        if (host_specs(ap, &specs) < 0)
                return no_twins(why, "the host has no %s-gcc-%s (install gcc-%s-%s)", ap->triple, ap->gcc_major,
                                ap->gcc_major, ap->triple);
        r = store_mkdtemp(s, "twins", &dir);
        if (r < 0)
                return error_detail_set(why, r, "Failed to make a directory in the store: %m");
        if (asprintf(&upper, "%s/upper", dir) < 0 || asprintf(&work, "%s/work", dir) < 0 ||
            asprintf(&merged, "%s/merged", dir) < 0)
                return -ENOMEM;
        if (mkdir(upper, 0755) < 0 || mkdir(work, 0700) < 0 || mkdir(merged, 0755) < 0) {
                r = negative_errno();
                (void) rm_rf(dir);
                return r;
        }
        SandboxRootfs root = { .lowers = lowers, .n_lowers = strv_length(lowers), .upper = upper, .work = work,
                               .merged = merged };
        if (asprintf(&compiler_cache, "%s/cross-gcc", getenv("ARCHWAY_CACHE_DIR") ?: "/var/cache/archway") < 0 ||
            asprintf(&tool_cache, "%s/twin-tools", getenv("ARCHWAY_CACHE_DIR") ?: "/var/cache/archway") < 0)
                return -ENOMEM;
        call.install = (AccelInstall) { .root = merged, .host_root = "/", .launcher = launcher, .specs = specs,
                                        .platform = ap, .compiler_cache = compiler_cache,
                                        .tool_cache = tool_cache };
        r = sandbox_call(&root, NULL, install_in_root, &call, why);
        (void) rm_rf(work);
        if (r < 0) {
                (void) rm_rf(dir);
                return r == -ESRCH ? 0 : r;
        }
        /* The tree is dir/upper; dir itself (with the empty merged/) goes with it. */
        (void) rmdir(merged);
        *ret_tree = TAKE_PTR(upper);
        return 1;
}

/* The step's log, read and removed from its upper. The step wrote that tree: /.archway or the log
 * may be symlinks (to a host path, as seen from here), so nothing is followed. */
static int take_step_log(const char *upper, char **ret, size_t *ret_size) {
        const char *name = TWINS_ACCEL_LOG + strlen("/.archway/");
        _cleanup_close_ int upper_fd = -EBADF, dir_fd = -EBADF, fd = -EBADF;
        int r;

        upper_fd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (upper_fd < 0)
                return -errno;
        dir_fd = openat(upper_fd, ".archway", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir_fd < 0)
                return -ENOENT; /* none, or not ours */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -ENOENT : -errno;
        r = read_fd(fd, 64u * 1024 * 1024, ret, ret_size);
        (void) unlinkat(dir_fd, name, 0);
        /* only when the log's copy-up made it and nothing else is in it */
        (void) unlinkat(upper_fd, ".archway", AT_REMOVEDIR);
        return r;
}

int twins_step_report(const char *upper, char *line, size_t size) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ AccelReport *r = NULL;
        size_t n, k;
        int q;

        q = take_step_log(upper, &text, &n);
        if (q == -ENOENT)
                return 0;
        if (q < 0)
                return q;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        accel_report_parse(r, text, n);
        k = (size_t) snprintf(line, size, "%zu of %zu compiler runs twinned, %zu of %zu runs of other tools",
                              r->drivers_twinned, r->drivers, r->twinned - r->drivers_twinned,
                              r->twinned + r->emulated - r->drivers);
        for (size_t i = 0; i < r->n_reasons && k < size; i++)
                k += (size_t) snprintf(line + k, size - k, "%s%s (%zu)", i == 0 ? "; emulated: " : ", ",
                                       r->reasons[i].key, r->reasons[i].n);
        if (r->n_unrouted_runs && k < size)
                (void) snprintf(line + k, size - k, "; %zu runs of tools without a twin", r->n_unrouted_runs);
        return 1;
}
