/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the sandbox's files (sandbox.c, sandbox-kernel.c, sandbox-user.c) only: the namespace and
 * mount calls stay in the first two. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

#ifndef _noreturn_
#define _noreturn_ __attribute__((noreturn))
#endif

/* Fork a child in a new user namespace with its id maps written (the privilege model of sandbox.c).
 * The child returns 0, the parent the child's pid, or -errno. */
pid_t sandbox_fork_userns(void);

/* Mount root at root->merged in the form this kernel takes (sandbox-kernel.c). Returns 0 or -errno. */
int sandbox_mount_overlay(const SandboxRootfs *root);

/* The classic overlayfs option string for root, naming its lowers, upper and work directories by
 * names[] (lowers first), escaped. Returns false when it does not fit in size bytes. For tests. */
bool sandbox_overlay_options(const SandboxRootfs *root, char *const *names, char *buf, size_t size);

/* sandbox-user.c, in the step's root: cut the capability bounding set (and the permitted, effective
 * and inheritable sets) to Docker's default set. Returns 0 or -errno. */
int sandbox_drop_bounding_set(void);

/* Become USER ("name[:group]" or "uid[:gid]", NULL or "": stay root), resolved in the root's own
 * /etc/passwd and /etc/group. Returns 0 or -errno with err saying which name was not found. */
int sandbox_switch_user(const char *user, ErrorDetail *err);
