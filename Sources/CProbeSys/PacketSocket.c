// Packet sockets (AF_PACKET) and interface queries, for the ARP probes of the neighbour
// solicitor: struct sockaddr_ll and struct ifreq, wrapped so that Swift need not lay them out.
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "CProbeSys.h"

int cprobe_packet_socket(uint16_t protocol) {
    return socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(protocol));
}

ssize_t cprobe_packet_send(int fd, int ifindex, uint16_t protocol, const uint8_t *destination, size_t destination_length,
                           const void *payload, size_t length) {
    struct sockaddr_ll address;
    memset(&address, 0, sizeof address);
    if (destination_length > sizeof address.sll_addr) {
        errno = EINVAL;
        return -1;
    }
    address.sll_family = AF_PACKET;
    address.sll_protocol = htons(protocol);
    address.sll_ifindex = ifindex;
    address.sll_halen = (unsigned char)destination_length;
    memcpy(address.sll_addr, destination, destination_length);
    return sendto(fd, payload, length, MSG_DONTWAIT, (struct sockaddr *)&address, sizeof address);
}

ssize_t cprobe_packet_receive(int fd, void *buffer, size_t length, int *ifindex, int *packet_type) {
    struct sockaddr_ll address;
    socklen_t address_length = sizeof address;
    memset(&address, 0, sizeof address);
    ssize_t count = recvfrom(fd, buffer, length, MSG_DONTWAIT, (struct sockaddr *)&address, &address_length);
    if (count >= 0) {
        *ifindex = address.sll_ifindex;
        *packet_type = address.sll_pkttype;
    }
    return count;
}

int cprobe_interface_hardware(int ifindex, uint8_t *address, size_t capacity, int *hardware_type, int *flags) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    if (if_indextoname((unsigned int)ifindex, request.ifr_name) == NULL) return -1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int result = -1;
    if (ioctl(fd, SIOCGIFFLAGS, &request) == 0) {
        *flags = request.ifr_flags;
        if (ioctl(fd, SIOCGIFHWADDR, &request) == 0) {
            *hardware_type = request.ifr_hwaddr.sa_family;
            size_t count = capacity < 6 ? capacity : 6;
            memcpy(address, request.ifr_hwaddr.sa_data, count);
            result = 0;
        }
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return result;
}
