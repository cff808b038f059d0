/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Media types, digests, and index/manifest/config parse and build, on documents held in memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "oci.h"

#define EMPTY_SHA "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA   "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_media_types(void **state) {
        static const struct {
                const char *type;
                OciMediaKind kind;
        } rows[] = {
                { OCI_MEDIA_TYPE_INDEX, OCI_KIND_INDEX },
                { DOCKER_MEDIA_TYPE_MANIFEST_LIST, OCI_KIND_INDEX },
                { OCI_MEDIA_TYPE_MANIFEST, OCI_KIND_MANIFEST },
                { DOCKER_MEDIA_TYPE_MANIFEST, OCI_KIND_MANIFEST },
                { OCI_MEDIA_TYPE_CONFIG, OCI_KIND_CONFIG },
                { DOCKER_MEDIA_TYPE_CONFIG, OCI_KIND_CONFIG },
                { OCI_MEDIA_TYPE_LAYER_ZSTD, OCI_KIND_LAYER },
                { DOCKER_MEDIA_TYPE_LAYER_GZIP, OCI_KIND_LAYER },
                { "application/vnd.in-toto+json", OCI_KIND_OTHER },
                { "", OCI_KIND_OTHER },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                assert_int_equal(oci_media_type_kind(rows[i].type), rows[i].kind);
        assert_int_equal(oci_layer_compression(OCI_MEDIA_TYPE_LAYER), OCI_COMPRESSION_NONE);
        assert_int_equal(oci_layer_compression(DOCKER_MEDIA_TYPE_LAYER_GZIP), OCI_COMPRESSION_GZIP);
        assert_int_equal(oci_layer_compression(OCI_MEDIA_TYPE_LAYER_ZSTD), OCI_COMPRESSION_ZSTD);
        assert_int_equal(oci_layer_compression(OCI_MEDIA_TYPE_CONFIG), -EINVAL);
        assert_string_equal(oci_layer_media_type(OCI_COMPRESSION_GZIP), OCI_MEDIA_TYPE_LAYER_GZIP);
}

static void test_digests(void **state) {
        OciDigest d, e;
        OciHasher *h;

        assert_int_equal(oci_digest_parse(ABC_SHA, &d), 0);
        assert_string_equal(oci_digest_hex(&d), ABC_SHA + 7);
        assert_int_equal(oci_digest_parse("sha512:abcd", &d), -EOPNOTSUPP);
        assert_int_equal(oci_digest_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &d), -EINVAL);
        assert_int_equal(oci_digest_parse("sha256:ba78", &d), -EINVAL);
        assert_int_equal(oci_digest_parse("ba7816bf", &d), -EINVAL);
        assert_int_equal(oci_digest_parse("sha256:", &d), -EINVAL);
        assert_int_equal(oci_digest_parse("", &d), -EINVAL);

        assert_int_equal(oci_digest_buffer("", 0, &d), 0);
        assert_string_equal(d.str, EMPTY_SHA);
        assert_int_equal(oci_digest_parse(ABC_SHA, &e), 0);
        assert_int_equal(oci_digest_verify(&e, "abc", 3), 0);
        assert_int_equal(oci_digest_verify(&e, "abd", 3), -EBADMSG);

        /* streaming in pieces gives the same */
        assert_int_equal(oci_hasher_new(&h), 0);
        assert_int_equal(oci_hasher_update(h, "a", 1), 0);
        assert_int_equal(oci_hasher_update(h, "bc", 2), 0);
        assert_int_equal(oci_hasher_size(h), 3);
        assert_int_equal(oci_hasher_final(h, &d), 0);
        assert_true(oci_digest_equal(&d, &e));
        oci_hasher_free(h);
}

/* A buildx-like index: two platforms and an attestation. */
static const char index_json[] =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" ABC_SHA "\",\"size\":10,"
        " \"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" EMPTY_SHA "\",\"size\":11,"
        " \"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" EMPTY_SHA "\",\"size\":12,"
        " \"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
        " \"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
        "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" EMPTY_SHA "\",\"size\":13,"
        " \"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}}"
        "]}\n";

static void test_index(void **state) {
        OciIndex i = {}, j = {};
        Platform p;
        char *json;
        size_t n;

        assert_int_equal(oci_index_parse(index_json, strlen(index_json), &i), 0);
        assert_int_equal(i.n_manifests, 4);
        assert_string_equal(i.manifests[1].platform.variant, "v8");
        assert_true(oci_descriptor_is_attestation(&i.manifests[2]));
        assert_int_equal(platform_parse("linux/arm64", &p), 0);
        assert_int_equal(oci_index_find_platform(&i, &p), 1); /* arm64 == arm64/v8 */
        assert_int_equal(platform_parse("linux/arm/v7", &p), 0);
        assert_int_equal(oci_index_find_platform(&i, &p), -ENOENT);
        assert_int_equal(oci_index_match_platform(&i, &p), 3); /* v6 runs on v7 */
        assert_int_equal(platform_parse("linux/arm/v5", &p), 0);
        assert_int_equal(oci_index_match_platform(&i, &p), -ENOENT);
        assert_int_equal(platform_parse("linux/s390x", &p), 0);
        assert_int_equal(oci_index_match_platform(&i, &p), -ENOENT);

        /* build and parse back: same entries; no escaped slashes */
        assert_int_equal(oci_index_to_json(&i, &json, &n), 0);
        assert_null(strstr(json, "\\/"));
        assert_int_equal(oci_index_parse(json, n, &j), 0);
        assert_int_equal(j.n_manifests, 4);
        assert_string_equal(j.manifests[3].platform.arch, "arm");
        assert_true(oci_descriptor_is_attestation(&j.manifests[2]));
        free(json);
        oci_index_done(&i);
        oci_index_done(&j);
}

static void test_index_refusals(void **state) {
        static const struct {
                const char *json;
                int error;
        } rows[] = {
                { "", -EBADMSG },
                { "{\"schemaVersion\":2,\"manifests\":[", -EBADMSG },
                { "{\"schemaVersion\":2,\"manifests\":[]} trailing", -EBADMSG },
                { "{\"schemaVersion\":2}", -EBADMSG },
                { "{\"schemaVersion\":3,\"manifests\":[]}", -EBADMSG },
                { "{\"schemaVersion\":1,\"manifests\":[]}", -EOPNOTSUPP },
                { "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_TYPE_MANIFEST "\",\"manifests\":[]}", -EMEDIUMTYPE },
                { "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1}]}", -EBADMSG },
                { "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" ABC_SHA "\",\"size\":-1}]}", -EBADMSG },
                { "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" ABC_SHA "\",\"size\":\"1\"}]}", -EBADMSG },
                { "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"" ABC_SHA "\",\"size\":1}]}", -EBADMSG },
                { "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" ABC_SHA "\",\"size\":1,"
                  "\"platform\":{\"os\":\"linux\",\"architecture\":\"averyveryverylongarchitecture\"}}]}", -EBADMSG },
                { "[1,2,3]", -EBADMSG },
        };
        OciIndex i;

        for (size_t k = 0; k < ELEMENTSOF(rows); k++)
                assert_int_equal(oci_index_parse(rows[k].json, strlen(rows[k].json), &i), rows[k].error);
        assert_int_equal(oci_index_parse("{}", OCI_MANIFEST_SIZE_MAX + 1, &i), -E2BIG);
}

static const char manifest_json[] =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
        "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" ABC_SHA "\",\"size\":3},"
        "\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" EMPTY_SHA "\",\"size\":0}]}";

static void test_manifest_and_sniff(void **state) {
        OciManifest m = {}, m2 = {};
        OciMediaKind k;
        char *json;
        size_t n;

        assert_int_equal(oci_manifest_parse(manifest_json, strlen(manifest_json), &m), 0);
        assert_int_equal(m.n_layers, 1);
        assert_int_equal(oci_media_type_kind(m.config.media_type), OCI_KIND_CONFIG);
        assert_int_equal(oci_manifest_to_json(&m, &json, &n), 0);
        assert_int_equal(oci_manifest_parse(json, n, &m2), 0);
        assert_string_equal(m2.layers[0].digest.str, EMPTY_SHA);
        free(json);
        oci_manifest_done(&m);
        oci_manifest_done(&m2);

        assert_int_equal(oci_manifest_parse(index_json, strlen(index_json), &m), -EMEDIUMTYPE);
        assert_int_equal(oci_sniff_kind(manifest_json, strlen(manifest_json), NULL, &k), 0);
        assert_int_equal(k, OCI_KIND_MANIFEST);
        assert_int_equal(oci_sniff_kind(index_json, strlen(index_json), NULL, &k), 0);
        assert_int_equal(k, OCI_KIND_INDEX);
        assert_int_equal(oci_sniff_kind("{\"schemaVersion\":2,\"manifests\":[]}", 34, NULL, &k), 0);
        assert_int_equal(k, OCI_KIND_INDEX);
        assert_int_equal(oci_sniff_kind("", 0, DOCKER_MEDIA_TYPE_MANIFEST_LIST, &k), 0);
        assert_int_equal(k, OCI_KIND_INDEX);
        assert_int_equal(oci_sniff_kind("{\"schemaVersion\":1}", 19, NULL, &k), -EOPNOTSUPP);
}

static void test_config(void **state) {
        static const char json[] =
                "{\"architecture\":\"ARM\",\"os\":\"linux\",\"variant\":\"v7\",\"created\":\"2024-01-01T00:00:00Z\","
                "\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\",\"A=b=c\"],\"Entrypoint\":[\"/bin/sh\",\"-c\"],"
                "\"Cmd\":null,\"WorkingDir\":\"/w\",\"ExposedPorts\":{\"80/tcp\":{}},\"Labels\":{\"k\":\"v\"}},"
                "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" ABC_SHA "\"]},"
                "\"history\":[{\"created_by\":\"RUN x\"},{\"created_by\":\"ENV\",\"empty_layer\":true}]}";
        OciConfig c = {}, c2 = {};
        char *out;
        size_t n;

        assert_int_equal(oci_config_parse(json, strlen(json), &c), 0);
        assert_string_equal(c.platform.arch, "arm"); /* lowercased */
        assert_string_equal(c.platform.variant, "v7");
        assert_string_equal(oci_config_getenv(&c, "PATH"), "/usr/bin:/bin");
        assert_string_equal(oci_config_getenv(&c, "A"), "b=c");
        assert_null(oci_config_getenv(&c, "PAT"));
        assert_null(c.cmd);
        assert_string_equal(c.entrypoint[1], "-c");
        assert_string_equal(c.exposed_ports[0], "80/tcp");
        assert_int_equal(c.n_diff_ids, 1);
        assert_int_equal(c.n_history, 2);
        assert_true(c.history[1].empty_layer);

        assert_int_equal(oci_config_to_json(&c, &out, &n), 0);
        assert_int_equal(oci_config_parse(out, n, &c2), 0);
        assert_string_equal(c2.working_dir, "/w");
        assert_true(oci_digest_equal(&c2.diff_ids[0], &c.diff_ids[0]));
        free(out);
        oci_config_done(&c);
        oci_config_done(&c2);

        static const char no_arch[] = "{\"os\":\"linux\"}";
        static const char bad_rootfs[] = "{\"os\":\"linux\",\"architecture\":\"arm64\",\"rootfs\":{\"type\":\"x\"}}";
        assert_int_equal(oci_config_parse(no_arch, strlen(no_arch), &c), -EBADMSG);
        assert_int_equal(oci_config_parse(bad_rootfs, strlen(bad_rootfs), &c), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_media_types),
                cmocka_unit_test(test_digests),
                cmocka_unit_test(test_index),
                cmocka_unit_test(test_index_refusals),
                cmocka_unit_test(test_manifest_and_sniff),
                cmocka_unit_test(test_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
