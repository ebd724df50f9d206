/*
 * flowroute: which part of a split reading a flow belongs to, the same
 * for both of its directions.
 *
 * secaudit read splits flows over worker engines. flowroute_flow hashes a
 * flow's two sides (addresses and ports, as decode gives them: a tunnel's
 * inner flow), so its flows spread evenly. flowroute_server hashes its
 * server's side only, so that every connection to one server falls in one
 * part: what the session cache links (a resumption and its full
 * handshake, a server's STARTTLS offer) is then in one worker. The server
 * side is taken, without the flow's state, as the side with the lower port
 * (the address of lower value when the ports are equal): the well-known
 * port of a service, the ephemeral one of its client.
 */
#ifndef SECAUDIT_FLOWROUTE_H
#define SECAUDIT_FLOWROUTE_H

#include <stdint.h>

/* Addresses in network order, 16 bytes (IPv4 in the first 4, the rest 0). */
uint64_t flowroute_flow(const uint8_t a[static 16], uint16_t port_a, const uint8_t b[static 16],
			uint16_t port_b, uint8_t proto);
uint64_t flowroute_server(const uint8_t a[static 16], uint16_t port_a, const uint8_t b[static 16],
			  uint16_t port_b, uint8_t proto);

#endif
