/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The public face of the built-in seccomp profile: security.h is internal to
 * runtime/, but `septa run` (cli/) builds configs with this profile.
 */
#include "runtime.h"
#include "security.h"

const char *sp_runtime_seccomp_default_json(void)
{
    return sp_seccomp_default_profile_json();
}
