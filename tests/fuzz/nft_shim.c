/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz build only, when clang cannot compile net/nft.c (meson.build here
 * decides): the one entry point net/switch.c links against.  No fuzz target
 * reaches switch code; should one ever do, it gets a plain error.
 */
#include "../../net/internal.h" /* net/'s, not images/' */

#include <errno.h>

int net_nft_apply(const char *table, json_t *switches, sp_error **err)
{
    (void)switches;
    return sp_err(err, ENOSYS, "nftables table %s: net/nft.c is not in this fuzz build", table);
}
