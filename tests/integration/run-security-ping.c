/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ping the way iputils' ping does without CAP_NET_RAW: an ICMP datagram
 * socket, which the kernel allows only to groups in net.ipv4.ping_group_range.
 * (Debian's busybox 1.35 ping only tries a raw socket.)  Built statically by
 * run-security.bats and bind-mounted into a container.
 * Exit 0: an echo reply came back; 2: the socket was refused; 1: no reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sockaddr_in to = {.sin_family = AF_INET};
    if (argc != 2 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
        fprintf(stderr, "usage: %s IPV4\n", argv[0]);
        return 1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (fd < 0) {
        printf("socket: %s\n", strerror(errno));
        return 2;
    }
    struct icmphdr req = {.type = ICMP_ECHO};
    req.un.echo.sequence = htons(1);
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
        printf("sendto: %s\n", strerror(errno));
        return 1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[256];
    if (poll(&p, 1, 2000) == 1 && recv(fd, buf, sizeof(buf), 0) >= (ssize_t)sizeof(req) &&
        ((struct icmphdr *)buf)->type == ICMP_ECHOREPLY) {
        printf("reply from %s\n", argv[1]);
        return 0;
    }
    printf("no reply\n");
    return 1;
}
