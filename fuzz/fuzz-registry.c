/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a registry and a user's files hand the registry client: image references, WWW-Authenticate
 * challenges, token responses, docker config.json credentials, and the URLs of redirects, realms and
 * upload locations through the policy. The first byte picks the parser, the rest is its input. */
#include "fuzz.h"
#include "registry-policy.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        RegistryOrigin reg = { .https = true, .host = "registry.example", .port = 443 }, o;
        RegistryChallenge ch;
        RegistryRef ref;
        char *s, *user = NULL, *password = NULL, *token = NULL, why[256];

        if (size < 1)
                return 0;
        s = fuzz_strndup(data + 1, size - 1);
        if (!s)
                return 0;
        switch (data[0] % 5) {
        case 0:
                if (registry_ref_parse(s, &ref) >= 0) {
                        (void) registry_ref_reference(&ref);
                        registry_ref_done(&ref);
                }
                break;
        case 1:
                if (registry_challenge_parse(s, &ch) >= 0)
                        registry_challenge_done(&ch);
                break;
        case 2:
                if (registry_token_parse(s, size - 1, &token) >= 0)
                        free(token);
                break;
        case 3:
                if (registry_auth_from_config(s, size - 1, "registry.example", &user, &password) >= 0) {
                        free(user);
                        free(password);
                }
                break;
        default:
                if (registry_origin_from_url(s, &o) >= 0)
                        for (int hop = 0; hop < _REGISTRY_HOP_MAX; hop++)
                                (void) registry_policy_check(&reg, &o, (RegistryHop) hop, why, sizeof(why));
                (void) registry_host_is_internal(s);
        }
        free(s);
        return 0;
}
