/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `septa oci features`: what this runtime supports (runtime-spec features.md). */
#include "cli.h"
#include "runtime.h"

#include <string.h>

int sp_oci_features(struct sp_globals *g, int argc, char **argv, sp_error **err)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: %s features\n\nPrint the runtime's features document as JSON.\n", g->prog);
        return 0;
    }
    if (argc > 1)
        return sp_err(err, 0, "features: unexpected argument '%s'", argv[1]);
    _cleanup_json_ json_t *f = sp_runtime_features();
    _cleanup_free_ char *s = sp_json_dumps(f, true);
    printf("%s\n", s);
    return 0;
}
