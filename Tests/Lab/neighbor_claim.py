#!/usr/bin/env python3
"""Forges ARP replies and Neighbor Advertisements for the neighbour solicitor's tests.

Run inside a lab namespace, for instance

    ip netns exec <p>-hosts python3 neighbor_claim.py arp --iface br0 --claim 198.51.100.88 --mac 02:00:00:00:00:99
    ip netns exec <p>-hosts python3 neighbor_claim.py na --iface br0 --claim 2001:db8:100::88 --mac 02:00:00:00:00:99 --hops 64

`arp` broadcasts --count ARP replies (sender --claim/--mac, target the same) in Ethernet frames
from --mac; `na` sends --count unsolicited Neighbor Advertisements for --claim, with the target
link-layer address option --mac, to ff02::1 on --iface with IPv6 hop limit --hops (255 is what
RFC 4861 requires of a real one). Packets leave --interval seconds apart. Prints "sent N" and
exits 0; 2 on bad arguments. Only for lab namespaces: never run it on a real network.
"""

import argparse
import ipaddress
import socket
import struct
import sys
import time


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError(f"bad MAC {text}")
    return bytes(int(part, 16) for part in parts)


def send_arp(args):
    claim = ipaddress.IPv4Address(args.claim).packed
    mac = mac_bytes(args.mac)
    frame = b"\xff" * 6 + mac + struct.pack("!H", 0x0806)
    frame += struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac + claim + b"\xff" * 6 + claim
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((args.iface, 0))
        for index in range(args.count):
            if index:
                time.sleep(args.interval)
            sock.send(frame)


def send_na(args):
    claim = ipaddress.IPv6Address(args.claim).packed
    # Type 136, code 0, checksum (the kernel's), flags: override; target; target link-layer address.
    message = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + claim + bytes([2, 1]) + mac_bytes(args.mac)
    index = socket.if_nametoindex(args.iface)
    with socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, args.hops)
        for number in range(args.count):
            if number:
                time.sleep(args.interval)
            sock.sendto(message, ("ff02::1", 0, 0, index))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["arp", "na"])
    parser.add_argument("--iface", required=True)
    parser.add_argument("--claim", required=True, help="the address the packet claims")
    parser.add_argument("--mac", required=True)
    parser.add_argument("--hops", type=int, default=255)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0.01)
    args = parser.parse_args()
    try:
        if args.kind == "arp":
            send_arp(args)
        else:
            send_na(args)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"sent {args.count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
