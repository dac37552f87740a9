/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * /etc/hosts and /etc/resolv.conf contents for a container: pure text
 * rendering (unit-tested with addr.c alone); net/switch.c reads the store.
 */
#include "internal.h"

#include <jansson.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

/* Append the line "A<sep>B". */
static void append(char **buf, const char *a, const char *sep, const char *b)
{
    char *n = sp_xasprintf("%s%s%s%s\n", *buf, a, sep, b);
    free(*buf);
    *buf = n;
}

char *net_hosts_render(json_t *snap, const char *container_id)
{
    char *buf = sp_xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    size_t i, k;
    json_t *sw, *p;
    /* Own addresses first, so that the container's name resolves to itself. */
    json_array_foreach(snap, i, sw) {
        json_array_foreach(json_object_get(sw, "ports"), k, p) {
            const char *id = json_string_value(json_object_get(p, "id"));
            const char *name = json_string_value(json_object_get(p, "name"));
            if (strcmp(id, container_id) == 0 && name && *name)
                append(&buf, json_string_value(json_object_get(p, "address")), "\t", name);
        }
    }
    json_array_foreach(snap, i, sw) {
        json_t *ports = json_object_get(sw, "ports");
        bool member = false;
        json_array_foreach(ports, k, p) {
            if (strcmp(json_string_value(json_object_get(p, "id")), container_id) == 0)
                member = true;
        }
        if (!member)
            continue;
        json_array_foreach(ports, k, p) {
            const char *id = json_string_value(json_object_get(p, "id"));
            const char *name = json_string_value(json_object_get(p, "name"));
            if (strcmp(id, container_id) != 0 && name && *name)
                append(&buf, json_string_value(json_object_get(p, "address")), "\t", name);
        }
    }
    return buf;
}

static bool is_loopback_ns(const char *ip)
{
    return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

int sp_net_resolv_conf(const char *const *dns, const char *host_resolv, char **out, sp_error **err)
{
    char *buf = sp_xstrdup("");
    if (dns && dns[0]) {
        for (size_t i = 0; dns[i]; i++) {
            struct sp_ipaddr ip;
            if (sp_ip_parse(dns[i], &ip, err) < 0) {
                free(buf);
                return sp_err_wrap(err, "--dns");
            }
            append(&buf, "nameserver", " ", dns[i]);
        }
        *out = buf;
        return 0;
    }
    const char *path = host_resolv ? host_resolv : "/etc/resolv.conf";
    _cleanup_free_ char *text = NULL;
    size_t len;
    if (sp_read_file(AT_FDCWD, path, 1 << 20, &text, &len, err) < 0) {
        free(buf);
        if ((*err)->errnum != ENOENT)
            return sp_err_wrap(err, "reading the host's resolver configuration");
        /* No host resolver: an empty file, the container resolves nothing. */
        sp_error_free(err);
        *out = sp_xstrdup("");
        return 0;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char ns[128];
        /* A loopback resolver (systemd-resolved, dnsmasq) is the host's, not reachable. */
        if (sscanf(line, " nameserver %127s", ns) == 1 && is_loopback_ns(ns))
            continue;
        append(&buf, line, "", "");
    }
    *out = buf;
    return 0;
}
