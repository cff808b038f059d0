/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Before writing to binfmt_misc, say exactly which privilege is missing instead of a bare EPERM.
 *
 * An instance belongs to the user namespace that mounted it (Linux >= 6.7; before, there is only the
 * global one of the initial namespace). Its files belong to that namespace's root; writing "register"
 * needs CAP_SYS_ADMIN there (or root's ownership of the file, which comes with it). From inside a child
 * namespace an ancestor's instance shows its files as the overflow uid (65534): capabilities held in
 * the child do not reach it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "binfmt.h"
#include "log.h"

#define OVERFLOW_UID_FILE "/proc/sys/fs/overflowuid"
#define OVERFLOW_UID_DEFAULT 65534u

static bool has_cap_sys_admin(void) {
        cap_flag_value_t v = CAP_CLEAR;
        cap_t caps = cap_get_proc();

        if (!caps)
                return false;
        if (cap_get_flag(caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v) < 0)
                v = CAP_CLEAR;
        cap_free(caps);
        return v == CAP_SET;
}

static unsigned overflow_uid(void) {
        char buf[16] = {};
        unsigned long v;
        char *end;
        int fd;

        fd = open(OVERFLOW_UID_FILE, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return OVERFLOW_UID_DEFAULT;
        if (read(fd, buf, sizeof(buf) - 1) <= 0)
                buf[0] = '\0';
        close(fd);
        v = strtoul(buf, &end, 10);
        return end == buf ? OVERFLOW_UID_DEFAULT : (unsigned) v;
}

int privilege_check(int dirfd, const char *dir) {
        unsigned owner;
        int r;

        r = binfmt_dir_owner(dirfd, &owner);
        if (r < 0)
                return log_error_errno(r, "Failed to look at '%s/register': %m", dir);

        if (owner == overflow_uid()) {
                log_error("The binfmt_misc instance at '%s' belongs to an ancestor user namespace; this "
                          "process (uid %u) has no capabilities there. Mount a private instance in this "
                          "namespace (mount -t binfmt_misc binfmt_misc DIR; Linux >= 6.7) and pass "
                          "--binfmt-dir DIR, or run in the namespace that mounted it.", dir, (unsigned) geteuid());
                return -EPERM;
        }
        if (!has_cap_sys_admin()) {
                log_error("Registering in '%s' needs CAP_SYS_ADMIN in the user namespace that owns this "
                          "binfmt_misc instance (its register file belongs to uid %u); this process "
                          "(uid %u) does not have it. Run as root, or rootless inside "
                          "'unshare --user --map-root-user --mount' with a private instance (see binfmt(1)).",
                          dir, owner, (unsigned) geteuid());
                return -EPERM;
        }
        return 0;
}
