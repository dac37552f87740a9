/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Workloads for the cgroup tests (not installed), static so that the same
 * binary runs on the host, in the VM and inside a container:
 *   cgwork hog MIB [HOLD_SECONDS]  touch MIB MiB of memory, print "allocated", hold
 *   cgwork spin                    burn one CPU forever
 *   cgwork count FILE              write an increasing counter to FILE every 10 ms
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "hog") == 0) {
        size_t n = strtoull(argv[2], NULL, 10) << 20;
        /* volatile: the compiler must not drop the stores. */
        volatile char *p = malloc(n);
        if (!p)
            return 3;
        for (size_t i = 0; i < n; i += 4096)
            p[i] = 1;
        printf("allocated %s MiB\n", argv[2]);
        fflush(stdout);
        if (argc >= 4)
            sleep((unsigned)atoi(argv[3]));
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "spin") == 0) {
        volatile unsigned long x = 0;
        for (;;)
            x++;
    }
    if (argc >= 3 && strcmp(argv[1], "count") == 0) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        char tmp[4096];
        snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
        for (unsigned long i = 1;; i++) {
            /* rename: a reader never sees a half-written (or, frozen
             * mid-write, empty) file. */
            FILE *f = fopen(tmp, "w");
            if (f) {
                fprintf(f, "%lu\n", i);
                fclose(f);
                rename(tmp, argv[2]);
            }
            nanosleep(&ts, NULL);
        }
    }
    fprintf(stderr, "usage: cgwork hog MIB [HOLD] | spin | count FILE\n");
    return 2;
}
