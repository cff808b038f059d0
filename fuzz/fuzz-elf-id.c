/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ELF identification from a buffer (check-arch's layer heads, the shim's first page) and from a file
 * with its sections (libelf: .ARM.attributes, .MIPS.abiflags, notes), and the platform it maps to. */
#include <sys/mman.h>
#include <unistd.h>

#include "elf-id.h"
#include "fuzz.h"
#include "platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char buf[PLATFORM_STRING_MAX];
        Platform p;
        ElfId id;
        int fd;

        if (elf_id_from_buffer(data, size, &id) >= 0 && platform_from_elf(&id, &p) >= 0)
                (void) platform_to_string(&p, buf);
        (void) elf_arm_attributes_parse(data, size, size > 0 ? data[0] % 3 : 1, &(unsigned) { 0 },
                                        &(ElfFloatAbi) { 0 });
        fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
        if (fd < 0)
                return 0;
        if (write(fd, data, size) == (ssize_t) size && elf_id_from_fd(fd, ELF_ID_SECTIONS, &id) >= 0 &&
            platform_from_elf(&id, &p) >= 0)
                (void) platform_to_string(&p, buf);
        close(fd);
        return 0;
}
