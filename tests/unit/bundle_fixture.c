/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "bundle_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char bundle[64];

int make_bundle(void **state)
{
    (void)state;
    strcpy(bundle, "/tmp/septa-test-bundle-XXXXXX");
    if (!mkdtemp(bundle))
        return -1;
    char p[128];
    snprintf(p, sizeof(p), "%s/rootfs", bundle);
    return mkdir(p, 0755);
}

int drop_bundle(void **state)
{
    (void)state;
    char p[128];
    snprintf(p, sizeof(p), "%s/rootfs", bundle);
    rmdir(p);
    rmdir(bundle);
    return 0;
}
