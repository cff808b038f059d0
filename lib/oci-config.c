/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image configs: image-spec config.md (and Docker's image JSON, the same fields). */
#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "oci-internal.h"
#include "strv.h"

/* ---- config ------------------------------------------------------------------------------------ */

static void history_free(OciHistory *h, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(h[i].created);
                free(h[i].created_by);
                free(h[i].comment);
        }
        free(h);
}

void oci_config_done(OciConfig *c) {
        if (!c)
                return;
        free(c->created);
        free(c->user);
        strv_free(c->env);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        free(c->working_dir);
        strv_free(c->exposed_ports);
        strv_free(c->volumes);
        free(c->stop_signal);
        if (c->labels)
                json_object_put(c->labels);
        free(c->diff_ids);
        history_free(c->history, c->n_history);
        *c = (OciConfig) {};
}

static int config_parse_exec(json_object *cfg, OciConfig *c) {
        int r;

        if (!cfg || json_object_is_type(cfg, json_type_null))
                return 0;
        if (!json_object_is_type(cfg, json_type_object))
                return -EBADMSG;
        r = json_get_string(cfg, "User", false, &c->user);
        if (r >= 0)
                r = json_get_strv(cfg, "Env", &c->env);
        if (r >= 0)
                r = json_get_strv(cfg, "Entrypoint", &c->entrypoint);
        if (r >= 0)
                r = json_get_strv(cfg, "Cmd", &c->cmd);
        if (r >= 0)
                r = json_get_string(cfg, "WorkingDir", false, &c->working_dir);
        if (r >= 0)
                r = json_get_keys(cfg, "ExposedPorts", &c->exposed_ports);
        if (r >= 0)
                r = json_get_keys(cfg, "Volumes", &c->volumes);
        if (r >= 0)
                r = json_get_string(cfg, "StopSignal", false, &c->stop_signal);
        if (r >= 0)
                r = json_get_string_map(cfg, "Labels", &c->labels);
        return r;
}

static int config_parse_rootfs(json_object *rootfs, OciConfig *c) {
        json_object *type, *ids;
        size_t n;
        int r;

        if (!rootfs)
                return 0;
        if (!json_object_is_type(rootfs, json_type_object))
                return -EBADMSG;
        if (json_object_object_get_ex(rootfs, "type", &type) &&
            (!json_object_is_type(type, json_type_string) || !streq(json_object_get_string(type), "layers")))
                return -EBADMSG;
        if (!json_object_object_get_ex(rootfs, "diff_ids", &ids) || json_object_is_type(ids, json_type_null))
                return 0;
        if (!json_object_is_type(ids, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(ids);
        if (n > OCI_LAYERS_MAX)
                return -E2BIG;
        c->diff_ids = calloc(n ? n : 1, sizeof(OciDigest));
        if (!c->diff_ids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(ids, i);

                if (!json_object_is_type(e, json_type_string))
                        return -EBADMSG;
                r = oci_digest_parse(json_object_get_string(e), &c->diff_ids[i]);
                if (r < 0)
                        return r == -EOPNOTSUPP ? r : -EBADMSG;
                c->n_diff_ids = i + 1;
        }
        return 0;
}

static int config_parse_history(json_object *hist, OciConfig *c) {
        size_t n;
        int r;

        if (!hist || json_object_is_type(hist, json_type_null))
                return 0;
        if (!json_object_is_type(hist, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(hist);
        if (n > OCI_LAYERS_MAX * 4)
                return -E2BIG;
        c->history = calloc(n ? n : 1, sizeof(OciHistory));
        if (!c->history)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(hist, i), *v;
                OciHistory *h = &c->history[i];

                c->n_history = i + 1;
                if (!json_object_is_type(e, json_type_object))
                        return -EBADMSG;
                r = json_get_string(e, "created", false, &h->created);
                if (r >= 0)
                        r = json_get_string(e, "created_by", false, &h->created_by);
                if (r >= 0)
                        r = json_get_string(e, "comment", false, &h->comment);
                if (r < 0)
                        return r;
                h->empty_layer = json_object_object_get_ex(e, "empty_layer", &v) && json_object_get_boolean(v);
        }
        return 0;
}

int oci_config_parse(const void *buf, size_t size, OciConfig *ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *cfg = NULL, *rootfs = NULL, *hist = NULL;
        OciConfig c = {};
        int r;

        r = json_parse_buffer(buf, size, OCI_CONFIG_SIZE_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_get_platform(o, "os", "architecture", &c.platform);
        if (r >= 0)
                r = json_get_string(o, "created", false, &c.created);
        (void) json_object_object_get_ex(o, "config", &cfg);
        (void) json_object_object_get_ex(o, "rootfs", &rootfs);
        (void) json_object_object_get_ex(o, "history", &hist);
        if (r >= 0)
                r = config_parse_exec(cfg, &c);
        if (r >= 0)
                r = config_parse_rootfs(rootfs, &c);
        if (r >= 0)
                r = config_parse_history(hist, &c);
        if (r < 0) {
                oci_config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

static int config_exec_to_json(const OciConfig *c, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "User", c->user);
        if (r >= 0)
                r = json_add_keys(o, "ExposedPorts", c->exposed_ports);
        if (r >= 0)
                r = json_add_strv(o, "Env", c->env);
        if (r >= 0)
                r = json_add_strv(o, "Entrypoint", c->entrypoint);
        if (r >= 0)
                r = json_add_strv(o, "Cmd", c->cmd);
        if (r >= 0)
                r = json_add_keys(o, "Volumes", c->volumes);
        if (r >= 0)
                r = json_add_string(o, "WorkingDir", c->working_dir);
        if (r >= 0)
                r = json_add_ref(o, "Labels", c->labels);
        if (r >= 0)
                r = json_add_string(o, "StopSignal", c->stop_signal);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int config_rootfs_to_json(const OciConfig *c, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *ids;
        int r;

        o = json_object_new_object();
        ids = json_object_new_array();
        if (!o || !ids) {
                json_object_put(ids);
                return -ENOMEM;
        }
        r = json_add_string(o, "type", "layers");
        if (r >= 0)
                r = json_add_take(o, "diff_ids", ids);
        else
                json_object_put(ids);
        for (size_t i = 0; r >= 0 && i < c->n_diff_ids; i++) {
                json_object *s = json_object_new_string(c->diff_ids[i].str);
                if (!s || json_object_array_add(ids, s) < 0) {
                        json_object_put(s);
                        r = -ENOMEM;
                }
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int config_history_to_json(const OciConfig *c, json_object **ret) {
        _cleanup_json_ json_object *a = NULL;
        int r = 0;

        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; r >= 0 && i < c->n_history; i++) {
                json_object *e = json_object_new_object();

                if (!e)
                        return -ENOMEM;
                r = json_add_string(e, "created", c->history[i].created);
                if (r >= 0)
                        r = json_add_string(e, "created_by", c->history[i].created_by);
                if (r >= 0)
                        r = json_add_string(e, "comment", c->history[i].comment);
                if (r >= 0 && c->history[i].empty_layer)
                        r = json_add_take(e, "empty_layer", json_object_new_boolean(1));
                if (r < 0 || json_object_array_add(a, e) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int oci_config_to_json(const OciConfig *c, char **ret, size_t *ret_size) {
        _cleanup_json_ json_object *o = NULL;
        json_object *sub;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "created", c->created);
        if (r >= 0)
                r = json_add_string(o, "architecture", c->platform.arch);
        if (r >= 0 && c->platform.variant[0])
                r = json_add_string(o, "variant", c->platform.variant);
        if (r >= 0)
                r = json_add_string(o, "os", c->platform.os);
        if (r >= 0 && (r = config_exec_to_json(c, &sub)) >= 0)
                r = json_add_take(o, "config", sub);
        if (r >= 0 && (r = config_rootfs_to_json(c, &sub)) >= 0)
                r = json_add_take(o, "rootfs", sub);
        if (r >= 0 && c->n_history > 0 && (r = config_history_to_json(c, &sub)) >= 0)
                r = json_add_take(o, "history", sub);
        if (r < 0)
                return r;
        return json_to_buffer(o, ret, ret_size);
}

const char *oci_config_getenv(const OciConfig *c, const char *name) {
        size_t n = strlen(name);

        for (char **e = c->env; e && *e; e++)
                if (strneq(*e, name, n) && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}

