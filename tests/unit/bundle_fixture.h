/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scratch OCI bundle directory (with an empty rootfs/) for the config
 * parser tests, made once per test group: cmocka group setup/teardown.
 */
#ifndef SEPTA_TEST_BUNDLE_FIXTURE_H
#define SEPTA_TEST_BUNDLE_FIXTURE_H

/* The bundle's path while the group runs. */
extern char bundle[64];

int make_bundle(void **state);
int drop_bundle(void **state);

#endif
