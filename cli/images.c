/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa images`: list the store. */
#include "cli.h"
#include "images.h"

#include <getopt.h>
#include <string.h>

static void human_size(uint64_t b, char out[32])
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1000 && u + 1 < SP_ARRAY_SIZE(units)) {
        v /= 1000;
        u++;
    }
    snprintf(out, 32, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static void split_name(const char *name, char *repo, size_t rn, char *tag, size_t tn)
{
    const char *slash = strrchr(name, '/');
    const char *colon = strrchr(slash ? slash : name, ':');
    if (!colon) {
        snprintf(repo, rn, "%s", name);
        snprintf(tag, tn, "<none>");
        return;
    }
    snprintf(repo, rn, "%.*s", (int)(colon - name), name);
    snprintf(tag, tn, "%s", colon + 1);
}

int sp_cmd_images(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"quiet", no_argument, NULL, 'q'},
        {"digests", no_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *format = "text";
    bool quiet = false, digests = false;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'd':
            digests = true;
            break;
        case 'h':
            printf("Usage: septa images [-q] [--digests] [--format text|json]\n\n"
                   "List the images in the store: one line per name (untagged images once).\n\n"
                   "  -q, --quiet         print image ids only\n"
                   "  --digests           add the manifest digest column\n"
                   "  --format FMT        text or json\n");
            return 0;
        default:
            return sp_cli_bad_option(err, "septa images", argc, argv, optopt);
        }
    }
    if (optind < argc)
        return sp_err(err, 0, "septa images: unexpected argument '%s'", argv[optind]);
    if (sp_cli_check_format("septa images", format, err) < 0)
        return -1;
    _cleanup_json_ json_t *list = NULL;
    if (sp_image_list(g->data_root, &list, err) < 0)
        return sp_err_wrap(err, "septa images");
    if (strcmp(format, "json") == 0) {
        _cleanup_free_ char *s = sp_json_dumps(list, true);
        printf("%s\n", s);
        return 0;
    }
    if (!quiet)
        printf("%-40s %-16s %s%-12s  %-20s  %s\n", "REPOSITORY", "TAG",
               digests
                   ? "DIGEST                                                                    "
                   : "",
               "IMAGE ID", "CREATED", "SIZE");
    size_t i;
    json_t *img;
    json_array_foreach(list, i, img)
    {
        const char *id = json_string_value(json_object_get(img, "id"));
        const char *digest = json_string_value(json_object_get(img, "digest"));
        if (quiet) {
            printf("%.12s\n", id + 7);
            continue;
        }
        char size[32];
        human_size((uint64_t)json_integer_value(json_object_get(img, "size")), size);
        const char *created = json_string_value(json_object_get(img, "created"));
        json_t *names = json_object_get(img, "names");
        size_t n = json_array_size(names);
        for (size_t k = 0; k == 0 || k < n; k++) {
            char repo[256], tag[128];
            if (n == 0) {
                snprintf(repo, sizeof(repo), "<none>");
                snprintf(tag, sizeof(tag), "<none>");
            } else {
                split_name(json_string_value(json_array_get(names, k)), repo, sizeof(repo), tag,
                           sizeof(tag));
            }
            printf("%-40s %-16s %s%s%.12s  %-20.20s  %s\n", repo, tag, digests ? digest : "",
                   digests ? " " : "", id + 7, created && *created ? created : "-", size);
        }
    }
    return 0;
}
