/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI and Docker JSON from registries and layouts: index, manifest, config, and `docker save`'s
 * manifest.json. What parses is serialised again and must parse to the same shape. */
#include "docker-archive.h"
#include "fuzz.h"
#include "oci.h"

static void index_roundtrip(const OciIndex *i) {
        OciIndex again;
        char *buf;
        size_t n;

        if (oci_index_to_json(i, &buf, &n) < 0)
                return;
        if (oci_index_parse(buf, n, &again) < 0 || again.n_manifests != i->n_manifests)
                abort();
        oci_index_done(&again);
        free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DockerArchiveManifest dam;
        OciManifest m;
        OciConfig c;
        OciIndex i;
        OciMediaKind kind;

        if (oci_index_parse(data, size, &i) >= 0) {
                index_roundtrip(&i);
                (void) oci_index_find_platform(&i, &(Platform) { "linux", "arm64", "v8" });
                (void) oci_index_match_platform(&i, &(Platform) { "linux", "arm", "v7" });
                oci_index_done(&i);
        }
        if (oci_manifest_parse(data, size, &m) >= 0) {
                char *buf;
                size_t n;
                if (oci_manifest_to_json(&m, &buf, &n) >= 0)
                        free(buf);
                oci_manifest_done(&m);
        }
        if (oci_config_parse(data, size, &c) >= 0)
                oci_config_done(&c);
        (void) oci_sniff_kind(data, size, NULL, &kind);
        if (docker_archive_manifest_parse(data, size, &dam) >= 0) {
                (void) docker_archive_manifest_find(&dam, "x/y:v1");
                docker_archive_manifest_done(&dam);
        }
        return 0;
}
