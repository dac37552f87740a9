/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake sysfs trees the partition unit tests read (tests/unit/data/
 * sysfs-{2,4,8}node, see data/README), shared by test_topology.c and
 * test_plan.c.
 */
#ifndef SEPTA_TEST_SYSFS_TREE_H
#define SEPTA_TEST_SYSFS_TREE_H

#include "partition.h"

#define MIB (UINT64_C(1) << 20)

/* The path of tree `name` ("2node", ...); free it. */
char *sysfs_tree_path(const char *name);
/* The topology read from tree `name`; a failure fails the test. */
struct sp_topology *sysfs_tree_load(const char *name);

#endif
