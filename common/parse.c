/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers for the values people type: sizes, CPUs, CPU lists, durations. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int sp_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out, sp_error **err)
{
    if (!s || !*s)
        return sp_err(err, EINVAL, "'' is not an integer");
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || isspace((unsigned char)s[0]))
        return sp_err(err, EINVAL, "'%s' is not an integer", s);
    if (errno == ERANGE || v < min || v > max)
        return sp_err(err, ERANGE, "'%s' is out of range [%lld, %lld]", s, (long long)min,
                      (long long)max);
    *out = v;
    return 0;
}

/*
 * Split "1.5" into an integer and a fraction scaled to `scale` (10^digits);
 * returns the position after the number, or NULL.
 */
static const char *parse_decimal(const char *s, uint64_t scale, int max_frac_digits,
                                 uint64_t *out_scaled, bool *overflow)
{
    const char *p = s;
    uint64_t whole = 0;
    *overflow = false;
    if (!isdigit((unsigned char)*p) && *p != '.')
        return NULL;
    bool any = false;
    while (isdigit((unsigned char)*p)) {
        any = true;
        if (whole > (UINT64_MAX - 9) / 10)
            *overflow = true;
        else
            whole = whole * 10 + (uint64_t)(*p - '0');
        p++;
    }
    uint64_t frac = 0, div = 1;
    int digits = 0;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            any = true;
            if (digits < max_frac_digits) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                div *= 10;
            } else if (*p != '0') {
                return NULL; /* more precision than we can represent */
            }
            digits++;
            p++;
        }
    }
    if (!any)
        return NULL;
    if (whole > UINT64_MAX / scale)
        *overflow = true;
    else
        *out_scaled = whole * scale + frac * scale / div;
    return p;
}

int sp_parse_size(const char *s, uint64_t *out, sp_error **err)
{
    if (!s || !*s)
        return sp_err(err, EINVAL, "invalid size '': empty");
    if (*s == '-')
        return sp_err(err, EINVAL, "invalid size '%s': negative", s);
    /* Parse the number with up to 9 fractional digits (scaled by 1e9). */
    uint64_t scaled = 0;
    bool overflow = false;
    const char *p = parse_decimal(s, 1000000000ull, 9, &scaled, &overflow);
    if (!p)
        return sp_err(err, EINVAL, "invalid size '%s': expected a number with an optional "
                                   "unit (b, k, m, g, t)", s);
    if (overflow)
        return sp_err(err, ERANGE, "invalid size '%s': too large", s);
    uint64_t mult;
    char u = (char)tolower((unsigned char)*p);
    switch (u) {
    case '\0': mult = 1; break;
    case 'b': mult = 1; break;
    case 'k': mult = 1ull << 10; break;
    case 'm': mult = 1ull << 20; break;
    case 'g': mult = 1ull << 30; break;
    case 't': mult = 1ull << 40; break;
    case 'p': mult = 1ull << 50; break;
    default:
        return sp_err(err, EINVAL, "invalid size '%s': unknown unit '%s' (use b, k, m, g, t)", s,
                      p);
    }
    if (u) {
        p++;
        /* Accept "k", "kb", "ki", "kib" (all binary, as docker does). */
        if (u != 'b') {
            if (tolower((unsigned char)*p) == 'i')
                p++;
            if (tolower((unsigned char)*p) == 'b')
                p++;
        }
        if (*p)
            return sp_err(err, EINVAL, "invalid size '%s': unknown unit", s);
    }
    /* bytes = scaled * mult / 1e9, computed without overflow where possible */
    unsigned __int128 bytes = (unsigned __int128)scaled * mult;
    if (bytes % 1000000000u != 0 && mult == 1)
        return sp_err(err, EINVAL, "invalid size '%s': fractional bytes", s);
    bytes /= 1000000000u;
    if (bytes > INT64_MAX)
        return sp_err(err, ERANGE, "invalid size '%s': too large", s);
    *out = (uint64_t)bytes;
    return 0;
}

int sp_parse_cpus(const char *s, uint64_t *millicpus, sp_error **err)
{
    if (!s || !*s)
        return sp_err(err, EINVAL, "invalid CPU count '': empty");
    if (*s == '-')
        return sp_err(err, EINVAL, "invalid CPU count '%s': negative", s);
    uint64_t v = 0;
    bool overflow = false;
    const char *p = parse_decimal(s, 1000, 3, &v, &overflow);
    if (!p || *p)
        return sp_err(err, EINVAL,
                      "invalid CPU count '%s': expected a number such as 1.5 (at most 3 "
                      "decimals)", s);
    if (overflow || v > 1000000000ull)
        return sp_err(err, ERANGE, "invalid CPU count '%s': too large", s);
    if (v == 0)
        return sp_err(err, EINVAL, "invalid CPU count '%s': must be greater than 0", s);
    *millicpus = v;
    return 0;
}

static int parse_uint_prefix(const char **pp, uint64_t *out)
{
    const char *p = *pp;
    if (!isdigit((unsigned char)*p))
        return -1;
    uint64_t v = 0;
    while (isdigit((unsigned char)*p)) {
        if (v > 1000000000ull)
            return -1;
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    *pp = p;
    *out = v;
    return 0;
}

int sp_parse_cpulist(const char *s, uint64_t *bits, size_t nbits, size_t *count, sp_error **err)
{
    if (!s)
        return sp_err(err, EINVAL, "invalid CPU list: empty");
    memset(bits, 0, ((nbits + 63) / 64) * sizeof(uint64_t));
    size_t n = 0;
    const char *p = s;
    /* The kernel prints an empty set as "" (and a trailing newline). */
    while (*p && *p != '\n') {
        uint64_t a, b;
        if (parse_uint_prefix(&p, &a) < 0)
            return sp_err(err, EINVAL, "invalid CPU list '%s': expected a number at '%s'", s, p);
        b = a;
        if (*p == '-') {
            p++;
            if (parse_uint_prefix(&p, &b) < 0)
                return sp_err(err, EINVAL, "invalid CPU list '%s': expected a number at '%s'",
                              s, p);
            if (b < a)
                return sp_err(err, EINVAL, "invalid CPU list '%s': range %llu-%llu is reversed",
                              s, (unsigned long long)a, (unsigned long long)b);
        }
        if (b >= nbits)
            return sp_err(err, ERANGE, "invalid CPU list '%s': %llu is beyond the last CPU (%zu)",
                          s, (unsigned long long)b, nbits - 1);
        for (uint64_t i = a; i <= b; i++) {
            if (!SP_BIT_TEST(bits, i)) {
                SP_BIT_SET(bits, i);
                n++;
            }
        }
        if (*p == ',') {
            p++;
            if (!*p || *p == '\n')
                return sp_err(err, EINVAL, "invalid CPU list '%s': trailing comma", s);
        } else if (*p && *p != '\n') {
            return sp_err(err, EINVAL, "invalid CPU list '%s': unexpected '%c'", s, *p);
        }
    }
    if (count)
        *count = n;
    return 0;
}

char *sp_format_cpulist(const uint64_t *bits, size_t nbits)
{
    size_t cap = 64, w = 0;
    char *out = sp_xmalloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < nbits;) {
        if (!SP_BIT_TEST(bits, i)) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < nbits && SP_BIT_TEST(bits, j + 1))
            j++;
        char tmp[48];
        int len = j > i ? snprintf(tmp, sizeof(tmp), "%s%zu-%zu", w ? "," : "", i, j)
                        : snprintf(tmp, sizeof(tmp), "%s%zu", w ? "," : "", i);
        if (w + (size_t)len + 1 > cap) {
            cap = 2 * (w + (size_t)len + 1);
            out = sp_xrealloc(out, cap);
        }
        memcpy(out + w, tmp, (size_t)len + 1);
        w += (size_t)len;
        i = j + 1;
    }
    return out;
}

int sp_parse_duration(const char *s, uint64_t *ns, sp_error **err)
{
    if (!s || !*s)
        return sp_err(err, EINVAL, "invalid duration '': empty");
    if (*s == '-')
        return sp_err(err, EINVAL, "invalid duration '%s': negative", s);
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {
        {"ns", 1ull},       {"us", 1000ull},      {"µs", 1000ull}, {"ms", 1000000ull},
        {"s", 1000000000ull}, {"m", 60000000000ull}, {"h", 3600000000000ull},
    };
    const char *p = s;
    unsigned __int128 total = 0;
    bool bare = true;
    while (*p) {
        uint64_t scaled = 0;
        bool overflow = false;
        const char *q = parse_decimal(p, 1000000000ull, 9, &scaled, &overflow);
        if (!q)
            return sp_err(err, EINVAL, "invalid duration '%s': expected a number at '%s'", s, p);
        if (overflow)
            return sp_err(err, ERANGE, "invalid duration '%s': too large", s);
        size_t best = SP_ARRAY_SIZE(units);
        size_t best_len = 0;
        for (size_t i = 0; i < SP_ARRAY_SIZE(units); i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(q, units[i].unit, l) == 0 && l > best_len) {
                best = i;
                best_len = l;
            }
        }
        if (best == SP_ARRAY_SIZE(units)) {
            if (*q == '\0' && bare && p == s) {
                /* A bare number is seconds, as `stop -t 10` expects. */
                total = (unsigned __int128)scaled;
                p = q;
                break;
            }
            return sp_err(err, EINVAL,
                          "invalid duration '%s': unknown unit at '%s' (use ns, us, ms, s, m, h)",
                          s, q);
        }
        bare = false;
        total += (unsigned __int128)scaled * units[best].ns / 1000000000ull;
        if (total > INT64_MAX)
            return sp_err(err, ERANGE, "invalid duration '%s': too large", s);
        p = q + best_len;
    }
    if (total > INT64_MAX)
        return sp_err(err, ERANGE, "invalid duration '%s': too large", s);
    *ns = (uint64_t)total;
    return 0;
}
