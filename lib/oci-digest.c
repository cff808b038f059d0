/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

/* ---- digests ---------------------------------------------------------------------------------- */

/* image-spec descriptor.md: algorithm [a-z0-9]+ ([+._-][a-z0-9]+)*, ":", encoded [a-zA-Z0-9=_-]+;
 * for sha256 the encoded part is exactly 64 lowercase hex characters. */
static bool digest_algorithm_valid(const char *s, size_t n) {
        if (n == 0 || !(islower((unsigned char) s[0]) || isdigit((unsigned char) s[0])))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!islower((unsigned char) s[i]) && !isdigit((unsigned char) s[i]) && !strchr("+._-", s[i]))
                        return false;
        return true;
}

int oci_digest_parse(const char *s, OciDigest *ret) {
        const char *colon;

        if (!s)
                return -EINVAL;
        colon = strchr(s, ':');
        if (!colon || !digest_algorithm_valid(s, (size_t) (colon - s)) || colon[1] == 0)
                return -EINVAL;
        if ((size_t) (colon - s) != 6 || !strneq(s, "sha256", 6)) {
                for (const char *p = colon + 1; *p; p++)
                        if (!isalnum((unsigned char) *p) && !strchr("=_-", *p))
                                return -EINVAL;
                return -EOPNOTSUPP;
        }
        if (strlen(colon + 1) != OCI_DIGEST_HEX_LEN)
                return -EINVAL;
        for (const char *p = colon + 1; *p; p++)
                if (!isdigit((unsigned char) *p) && !(*p >= 'a' && *p <= 'f'))
                        return -EINVAL;
        memcpy(ret->str, s, OCI_DIGEST_STRING_MAX - 1);
        ret->str[OCI_DIGEST_STRING_MAX - 1] = 0;
        return 0;
}

bool oci_digest_equal(const OciDigest *a, const OciDigest *b) {
        return streq(a->str, b->str);
}

struct OciHasher {
        EVP_MD_CTX *ctx;
        uint64_t size;
};

int oci_hasher_new(OciHasher **ret) {
        OciHasher *h;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx) {
                free(h);
                return -ENOMEM;
        }
        if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
                oci_hasher_free(h);
                return -EIO;
        }
        *ret = h;
        return 0;
}

int oci_hasher_update(OciHasher *h, const void *buf, size_t size) {
        if (size == 0)
                return 0;
        if (EVP_DigestUpdate(h->ctx, buf, size) != 1)
                return -EIO;
        h->size += size;
        return 0;
}

int oci_hasher_final(OciHasher *h, OciDigest *ret) {
        static const char hex[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != OCI_DIGEST_HEX_LEN / 2)
                return -EIO;
        memcpy(ret->str, "sha256:", 7);
        for (unsigned i = 0; i < n; i++) {
                ret->str[7 + 2 * i] = hex[md[i] >> 4];
                ret->str[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        ret->str[7 + 2 * n] = 0;
        return 0;
}

OciHasher *oci_hasher_free(OciHasher *h) {
        if (h) {
                EVP_MD_CTX_free(h->ctx);
                free(h);
        }
        return NULL;
}

uint64_t oci_hasher_size(const OciHasher *h) {
        return h->size;
}

int oci_digest_buffer(const void *buf, size_t size, OciDigest *ret) {
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        int r;

        r = oci_hasher_new(&h);
        if (r < 0)
                return r;
        r = oci_hasher_update(h, buf, size);
        if (r < 0)
                return r;
        return oci_hasher_final(h, ret);
}

int oci_digest_verify(const OciDigest *expected, const void *buf, size_t size) {
        OciDigest d;
        int r;

        r = oci_digest_buffer(buf, size, &d);
        if (r < 0)
                return r;
        return oci_digest_equal(expected, &d) ? 0 : -EBADMSG;
}

