/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "docker-archive.h"
#include "json-util.h"

static void image_done(DockerArchiveImage *i) {
        free(i->config);
        strv_free(i->repo_tags);
        strv_free(i->layers);
}

void docker_archive_manifest_done(DockerArchiveManifest *m) {
        if (!m)
                return;
        for (size_t i = 0; i < m->n_images; i++)
                image_done(&m->images[i]);
        free(m->images);
        *m = (DockerArchiveManifest) {};
}

/* A member path from the JSON, normalised so that it compares with normalised tar names. */
static int member_path(json_object *v, char **ret) {
        if (!v || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        return layer_path_normalize(json_object_get_string(v), ret) < 0 ? -EBADMSG : 0;
}

static int image_parse_strings(json_object *a, bool paths, char ***ret, size_t *ret_n) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n;
        int r;

        if (!a || json_object_is_type(a, json_type_null)) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        if (n > OCI_LAYERS_MAX)
                return -E2BIG;
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);

                if (paths)
                        r = member_path(e, &l[i]);
                else if (!json_object_is_type(e, json_type_string))
                        r = -EBADMSG;
                else
                        r = (l[i] = strdup(json_object_get_string(e))) ? 0 : -ENOMEM;
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        *ret_n = n;
        return 0;
}

static int image_parse(json_object *o, DockerArchiveImage *ret) {
        DockerArchiveImage i = {};
        json_object *v = NULL;
        size_t n;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        (void) json_object_object_get_ex(o, "Config", &v);
        r = member_path(v, &i.config);
        v = NULL;
        (void) json_object_object_get_ex(o, "RepoTags", &v);
        if (r >= 0)
                r = image_parse_strings(v, false, &i.repo_tags, &n);
        v = NULL;
        if (r >= 0 && !json_object_object_get_ex(o, "Layers", &v))
                r = -EBADMSG;
        if (r >= 0)
                r = image_parse_strings(v, true, &i.layers, &i.n_layers);
        if (r < 0) {
                image_done(&i);
                return r;
        }
        *ret = i;
        return 0;
}

int docker_archive_manifest_parse(const void *buf, size_t size, DockerArchiveManifest *ret) {
        DockerArchiveManifest m = {};
        json_object *o = NULL;
        size_t n;
        int r;

        r = json_parse_buffer(buf, size, DOCKER_ARCHIVE_MANIFEST_MAX, &o);
        if (r >= 0 && !json_object_is_type(o, json_type_array))
                r = -EBADMSG;
        n = r < 0 ? 0 : json_object_array_length(o);
        if (r >= 0 && n == 0)
                r = -EBADMSG;
        if (r >= 0 && n > OCI_MANIFESTS_MAX)
                r = -E2BIG;
        if (r >= 0 && !(m.images = calloc(n, sizeof(DockerArchiveImage))))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = image_parse(json_object_array_get_idx(o, i), &m.images[i]);
                if (r >= 0)
                        m.n_images = i + 1;
        }
        json_object_put(o);
        if (r < 0) {
                docker_archive_manifest_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

int docker_archive_manifest_find(const DockerArchiveManifest *m, const char *tag) {
        if (!tag)
                return m->n_images == 1 ? 0 : m->n_images == 0 ? -ENOENT : -EADDRNOTAVAIL;
        for (size_t i = 0; i < m->n_images; i++)
                for (char **t = m->images[i].repo_tags; t && *t; t++) {
                        const char *colon = strrchr(*t, ':');
                        /* "repo:tag" matches "repo:tag" and the bare "tag" */
                        if (streq(*t, tag) || (colon && streq(colon + 1, tag)))
                                return (int) i;
                }
        return -ENOENT;
}

static json_object *strv_to_json(char * const *l) {
        json_object *a = json_object_new_array();

        for (char * const *s = l; a && s && *s; s++)
                if (json_object_array_add(a, json_object_new_string(*s)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

int docker_archive_manifest_to_json(const DockerArchiveManifest *m, char **ret, size_t *ret_size) {
        json_object *a = json_object_new_array();
        const char *s;
        size_t n;
        int r = a ? 0 : -ENOMEM;

        for (size_t i = 0; r >= 0 && i < m->n_images; i++) {
                json_object *o = json_object_new_object();

                if (!o || json_object_object_add(o, "Config", json_object_new_string(m->images[i].config)) < 0 ||
                    json_object_object_add(o, "RepoTags", strv_to_json(m->images[i].repo_tags)) < 0 ||
                    json_object_object_add(o, "Layers", strv_to_json(m->images[i].layers)) < 0 ||
                    json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        r = -ENOMEM;
                }
        }
        if (r >= 0) {
                s = json_object_to_json_string_length(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
                r = s && (*ret = strndup(s, n)) ? 0 : -ENOMEM;
                if (r >= 0 && ret_size)
                        *ret_size = n;
        }
        json_object_put(a);
        return r;
}

/* ---- reading members --------------------------------------------------------------------------- */

static void archive_freep(struct archive **a) {
        if (*a)
                archive_read_free(*a);
}

/* Open the outer tar (possibly compressed, as `docker save | gzip` gives) and advance to member.
 * Returns 0, or 1 with *ret_link set when member is a symlink (docker save links repeated layers). */
static int archive_seek_once(const char *path, const char *member, struct archive **ret, char **ret_link) {
        _cleanup_(archive_freep) struct archive *a = NULL;
        struct archive_entry *e;
        int r;

        a = archive_read_new();
        if (!a)
                return -ENOMEM;
        if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
            archive_read_support_filter_zstd(a) != ARCHIVE_OK || archive_read_support_filter_none(a) != ARCHIVE_OK)
                return -EOPNOTSUPP;
        if (archive_read_open_filename(a, path, 1024 * 1024) != ARCHIVE_OK)
                return archive_errno(a) > 0 ? -archive_errno(a) : -EBADMSG;
        for (;;) {
                _cleanup_free_ char *name = NULL;

                r = archive_read_next_header(a, &e);
                if (r == ARCHIVE_EOF)
                        return -ENOENT;
                if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
                        return -EBADMSG;
                if (!archive_entry_pathname(e) || layer_path_normalize(archive_entry_pathname(e), &name) < 0)
                        return -EBADMSG;
                if (!streq(name, member))
                        continue;
                if (archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e))
                        return layer_path_resolve_link(name, archive_entry_symlink(e), ret_link) < 0 ? -ENOMEM : 1;
                if (archive_entry_filetype(e) == AE_IFREG)
                        break;
        }
        *ret = TAKE_PTR(a);
        return 0;
}

/* Follow member through at most 8 symlinks. */
static int archive_seek_member(const char *path, const char *member, struct archive **ret) {
        _cleanup_free_ char *current = strdup(member);

        if (!current)
                return -ENOMEM;
        for (int hops = 0; hops < 8; hops++) {
                char *link = NULL;
                int r = archive_seek_once(path, current, ret, &link);
                if (r <= 0)
                        return r;
                free(current);
                current = link;
        }
        return -ELOOP;
}

int docker_archive_read_member(const char *path, const char *member, size_t max, char **ret, size_t *ret_size) {
        _cleanup_(archive_freep) struct archive *a = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r;

        r = archive_seek_member(path, member, &a);
        if (r < 0)
                return r;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                la_ssize_t k = archive_read_data(a, buf + n, max + 1 - n);
                if (k < 0)
                        return -EBADMSG;
                if (k == 0)
                        break;
                n += (size_t) k;
                if (n > max)
                        return -E2BIG;
        }
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

static ssize_t member_pull(void *buf, size_t size, void *userdata) {
        la_ssize_t k = archive_read_data(userdata, buf, size);

        return k < 0 ? -EBADMSG : (ssize_t) k;
}

int docker_archive_read_layer(const char *path, const char *member, const LayerReadOptions *opts,
                              LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result, ErrorDetail *err) {
        _cleanup_(archive_freep) struct archive *a = NULL;
        int r;

        r = archive_seek_member(path, member, &a);
        if (r == -ENOENT)
                return error_detail_set(err, r, "is not in the archive (%s)", member);
        if (r < 0)
                return error_detail_set(err, r, "could not be found in the archive: %m");
        return layer_read_source(member_pull, a, opts, cb, userdata, ret_result, err);
}
