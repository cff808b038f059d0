/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The step's credentials, set in its own root after pivot_root: the capability bounding set cut to
 * Docker's default, and USER resolved against the root's own /etc/passwd and /etc/group. No namespace
 * or mount calls here (those stay in sandbox.c and sandbox-kernel.c). */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "macro.h"
#include "sandbox-internal.h"

/* Docker's default capabilities (moby oci/caps/defaults.go, DefaultCapabilities). */
static const cap_value_t default_caps[] = {
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
        CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

static bool is_default_cap(cap_value_t c) {
        for (size_t k = 0; k < ELEMENTSOF(default_caps); k++)
                if (default_caps[k] == c)
                        return true;
        return false;
}

int sandbox_drop_bounding_set(void) {
        cap_t caps;
        int r = 0;

        for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
                if (!is_default_cap(c) && CAP_IS_SUPPORTED(c) && cap_drop_bound(c) < 0)
                        return negative_errno();
        caps = cap_init();
        if (!caps)
                return -ENOMEM;
        if (cap_set_flag(caps, CAP_PERMITTED, ELEMENTSOF(default_caps), default_caps, CAP_SET) < 0 ||
            cap_set_flag(caps, CAP_EFFECTIVE, ELEMENTSOF(default_caps), default_caps, CAP_SET) < 0 ||
            cap_set_flag(caps, CAP_INHERITABLE, ELEMENTSOF(default_caps), default_caps, CAP_SET) < 0 ||
            cap_set_proc(caps) < 0)
                r = negative_errno();
        cap_free(caps);
        return r;
}

static bool parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (isempty(s) || !strchr("0123456789", s[0]))
                return false;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || v > 0xfffffffeUL)
                return false;
        *ret = (unsigned) v;
        return true;
}

/* USER "name[:group]" or "uid[:gid]", looked up in the step's own /etc/passwd and /etc/group. */
static int resolve_user(const char *spec, uid_t *ret_uid, gid_t *ret_gid, ErrorDetail *err) {
        _cleanup_free_ char *user = strdup(spec);
        char *group = NULL;
        unsigned uid = 0, gid = 0;
        struct passwd *pw = NULL;
        struct group *gr;

        if (!user)
                return -ENOMEM;
        if ((group = strchr(user, ':')))
                *group++ = 0;
        if (parse_id(user, &uid))
                pw = getpwuid(uid);
        else if ((pw = getpwnam(user)))
                uid = pw->pw_uid;
        else
                return error_detail_set(err, -ENOENT, "unable to find user %s: no matching entries in passwd file", user);
        gid = pw ? pw->pw_gid : 0;
        if (group && !parse_id(group, &gid)) {
                if (!(gr = getgrnam(group)))
                        return error_detail_set(err, -ENOENT, "unable to find group %s: no matching entries in group file",
                                                group);
                gid = gr->gr_gid;
        }
        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

int sandbox_switch_user(const char *user, ErrorDetail *err) {
        uid_t uid = 0;
        gid_t gid = 0;
        int r;

        if (isempty(user))
                return 0;
        r = resolve_user(user, &uid, &gid, err);
        if (r < 0)
                return r;
        if (geteuid() == 0 && getuid() == 0 && uid == 0 && gid == 0)
                return 0;
        /* Only root exists in a rootless namespace: another user is an error there, not a surprise. */
        if ((setgroups(1, &gid) < 0 && errno != EPERM) || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                return error_detail_set(err, -errno, "Failed to switch to user %s (%u:%u): %m", user, uid, gid);
        return 0;
}
