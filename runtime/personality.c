/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * linux.personality: the execution domain (LINUX or LINUX32, as `setarch`)
 * set in the child just before exec.  No personality flags are defined by the
 * spec that septa could honour, so any flag is refused rather than dropped.
 */
#include "security.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

int sp_personality_parse(const sp_jdoc *doc, json_t *obj, const char *path,
                         struct sp_personality **out, sp_error **err)
{
    if (!json_is_object(obj))
        return sp_jerr(doc, err, path, "expected an object");
    const char *domain = NULL;
    if (sp_json_get_str(doc, obj, path, "domain", true, &domain, err) < 0)
        return -1;
    unsigned long persona;
    if (strcmp(domain, "LINUX") == 0) {
        persona = PER_LINUX;
    } else if (strcmp(domain, "LINUX32") == 0) {
        persona = PER_LINUX32;
    } else {
        _cleanup_free_ char *dp = sp_jpath_key(path, "domain");
        return sp_jerr(doc, err, dp, "unknown domain '%s' (expected LINUX or LINUX32)", domain);
    }
    json_t *flags = NULL;
    if (sp_json_get_arr(doc, obj, path, "flags", false, &flags, err) < 0)
        return -1;
    if (flags && json_array_size(flags) > 0) {
        _cleanup_free_ char *fp = sp_jpath_key(path, "flags");
        _cleanup_free_ char *f0 = sp_jpath_idx(fp, 0);
        return sp_jerr(doc, err, f0, "personality flags are not supported");
    }
    struct sp_personality *p = sp_xcalloc(1, sizeof(*p));
    p->persona = persona;
    *out = p;
    return 0;
}

int sp_personality_apply(const struct sp_personality *p, sp_error **err)
{
    if (!p)
        return 0;
    if (personality(p->persona) < 0)
        return sp_err(err, errno, "linux.personality: setting the execution domain %s",
                      p->persona == PER_LINUX32 ? "LINUX32" : "LINUX");
    return 0;
}
