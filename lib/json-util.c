/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "json-util.h"

int json_parse_buffer(const void *buf, size_t size, size_t max, json_object **ret) {
        json_tokener *tok;
        json_object *o;
        size_t end;

        if (size > max)
                return -E2BIG;
        if (size > INT32_MAX)
                return -E2BIG;
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, buf, (int) size);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(o);
                json_tokener_free(tok);
                return -EBADMSG;
        }
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        for (; end < size; end++)
                if (!strchr(" \t\r\n", ((const char *) buf)[end])) {
                        json_object_put(o);
                        return -EBADMSG;
                }
        *ret = o;
        return 0;
}
