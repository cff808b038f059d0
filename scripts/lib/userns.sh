# shellcheck shell=bash
# userns_map PID: give the user namespace that `unshare --user ...` (PID, started in the background,
# its command waiting on a fifo) is creating a full 0:0:65536 uid and gid map, written by this root
# parent: unshare --map-root-user maps one id only, and newuidmap would need /etc/subuid.
# Used by tests/cli/helpers.bash (binfmt_ns_full), tests/cli/docker-daemon and scripts/test-deb.
#
# Waits until PID is in a namespace of its own. While unshare is still being exec'd,
# /proc/PID/ns/user can be unreadable: an empty answer is not "changed" (writing the maps of a process
# still in this namespace fails with EPERM, which is what an early exit of the loop used to cause).
# Returns non-zero, having killed PID, when PID ends first or the maps cannot be written; bounded
# (30 s).
userns_map() {
        local pid=$1 ours theirs _
        ours=$(readlink /proc/self/ns/user)
        for _ in $(seq 3000); do
                theirs=$(readlink "/proc/$pid/ns/user" 2>/dev/null) || theirs=
                [[ -n $theirs && $theirs != "$ours" ]] && break
                kill -0 "$pid" 2>/dev/null || return 1
                sleep 0.01
        done
        if [[ -n $theirs && $theirs != "$ours" ]] &&
                { echo '0 0 65536' >"/proc/$pid/uid_map"; } 2>/dev/null &&
                { echo '0 0 65536' >"/proc/$pid/gid_map"; } 2>/dev/null; then
                return 0
        fi
        kill -KILL "$pid" 2>/dev/null
        return 1
}
