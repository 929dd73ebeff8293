#!/usr/bin/env python3
"""Forges a stray ICMP echo reply for the probe engine's matching tests.

Run inside a lab namespace, for instance

    ip netns exec <p>-dut python3 stray_reply.py --iface sink0 --target 203.0.113.5 --mode wrong-token

It sniffs (AF_PACKET) the first outgoing ICMP echo request to --target on --iface, printing
"ready" as soon as it listens, then forges an echo reply from the target to the request's
source with the SAME identifier and sequence number and a payload that is either the request's
payload with its first byte flipped (wrong-token) or an exact copy (copy). The reply is sent
through a raw IPPROTO_RAW socket (the IP header is ours; checksums are computed), so it is
delivered locally to the prober's socket. It prints "sent seq=N" and exits 0.

With a ping (SOCK_DGRAM) socket the kernel rewrites the identifier to the socket's port; the
captured request carries the rewritten identifier, so copying it reaches that socket.

Exits 1 with a message on stderr when no request is seen within --timeout seconds (default 5),
2 on bad arguments. Only for lab namespaces: never run it on a real network.
"""

import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY = 8, 0
ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY = 128, 129


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def parse_request4(packet: bytes, target: bytes):
    """Returns (source, identifier, sequence, payload) of an IPv4 echo request to target."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    header_length = (packet[0] & 0x0F) * 4
    total_length = struct.unpack("!H", packet[2:4])[0]
    if packet[9] != socket.IPPROTO_ICMP or packet[16:20] != target:
        return None
    icmp = packet[header_length:total_length]
    if len(icmp) < 8 or icmp[0] != ICMP_ECHO_REQUEST or icmp[1] != 0:
        return None
    identifier, sequence = struct.unpack("!HH", icmp[4:8])
    return packet[12:16], identifier, sequence, icmp[8:]


def parse_request6(packet: bytes, target: bytes):
    """Returns (source, identifier, sequence, payload) of an IPv6 echo request to target.

    Extension headers are not followed: the engine's requests carry none.
    """
    if len(packet) < 40 or packet[0] >> 4 != 6:
        return None
    payload_length = struct.unpack("!H", packet[4:6])[0]
    if packet[6] != socket.IPPROTO_ICMPV6 or packet[24:40] != target:
        return None
    icmp = packet[40:40 + payload_length]
    if len(icmp) < 8 or icmp[0] != ICMP6_ECHO_REQUEST or icmp[1] != 0:
        return None
    identifier, sequence = struct.unpack("!HH", icmp[4:8])
    return packet[8:24], identifier, sequence, icmp[8:]


def forge_reply4(source: bytes, destination: bytes, identifier: int, sequence: int, payload: bytes) -> bytes:
    icmp = struct.pack("!BBHHH", ICMP_ECHO_REPLY, 0, 0, identifier, sequence) + payload
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), int.from_bytes(os.urandom(2), "big"), 0, 64,
        socket.IPPROTO_ICMP, 0, source, destination)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + icmp


def forge_reply6(source: bytes, destination: bytes, identifier: int, sequence: int, payload: bytes) -> bytes:
    icmp = struct.pack("!BBHHH", ICMP6_ECHO_REPLY, 0, 0, identifier, sequence) + payload
    pseudo = source + destination + struct.pack("!I3xB", len(icmp), socket.IPPROTO_ICMPV6)
    icmp = icmp[:2] + struct.pack("!H", checksum(pseudo + icmp)) + icmp[4:]
    header = struct.pack("!IHBB16s16s", 6 << 28, len(icmp), socket.IPPROTO_ICMPV6, 64, source, destination)
    return header + icmp


def main() -> int:
    parser = argparse.ArgumentParser(description="Forge a stray ICMP echo reply (lab only).")
    parser.add_argument("--iface", required=True, help="interface to sniff outgoing requests on, e.g. sink0")
    parser.add_argument("--target", required=True, help="the probed address whose request to answer")
    parser.add_argument("--mode", required=True, choices=["wrong-token", "copy"])
    parser.add_argument("--family", type=int, choices=[4, 6], help="default: the target's family")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for a request")
    args = parser.parse_args()

    try:
        target = ipaddress.ip_address(args.target)
    except ValueError:
        parser.error(f"bad target address {args.target!r}")
    family = args.family or target.version
    if family != target.version:
        parser.error(f"--family {family} does not match target {target}")

    ethertype = ETH_P_IP if family == 4 else ETH_P_IPV6
    # Outgoing packets reach only ETH_P_ALL taps (dev_queue_xmit_nit), so filter by hand.
    # SOCK_DGRAM strips the link-layer header: a packet starts at its IP header.
    sniffer = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    sniffer.bind((args.iface, ETH_P_ALL))
    sender = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    print("ready", flush=True)

    parse = parse_request4 if family == 4 else parse_request6
    deadline = time.monotonic() + args.timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            print(f"stray_reply: no echo request to {target} on {args.iface} within {args.timeout}s",
                  file=sys.stderr, flush=True)
            return 1
        readable, _, _ = select.select([sniffer], [], [], remaining)
        if not readable:
            continue
        packet, address = sniffer.recvfrom(65535)
        if address[1] != ethertype or address[2] != PACKET_OUTGOING:
            continue
        request = parse(packet, target.packed)
        if request is None:
            continue
        source, identifier, sequence, payload = request
        if args.mode == "wrong-token":
            if not payload:
                print("stray_reply: the request has no payload to alter", file=sys.stderr, flush=True)
                return 1
            payload = bytes([payload[0] ^ 0xFF]) + payload[1:]
        forge = forge_reply4 if family == 4 else forge_reply6
        reply = forge(target.packed, source, identifier, sequence, payload)
        destination = str(ipaddress.ip_address(source))
        sender.sendto(reply, (destination, 0))
        print(f"sent seq={sequence}", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
