/*
 * engine: one packet path for inline and offline use.
 *
 *   packet -> decode -> flow table -> TCP stream (handshake phase only)
 *          -> tls parser -> milestones -> sink (policy verdicts, events)
 *   UDP    -> decode -> flow table -> QUIC Initials -> tls parser -> ...
 *
 * A UDP flow is made only by a datagram that starts a QUIC connection
 * (quic_starts_connection); other UDP passes untouched.
 *
 * The engine owns the flow table, the certificate cache and every session.
 * It never does I/O: what it learns goes to the caller's sink callbacks,
 * which are called synchronously from engine_packet() and engine_flush().
 * One engine per thread; nothing is shared.
 *
 * Inspection stops when the handshake is over: the flow stays in the table
 * (so later packets are not mistaken for new flows) but its reassembly
 * buffers and TLS session are released once the session has been logged.
 * Inline (forget_decided) a decided flow then lingers briefly as its key
 * and verdict only (linger_us).
 */
#ifndef SECAUDIT_ENGINE_H
#define SECAUDIT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/pretls.h"
#include "net/anomaly.h"
#include "net/decode.h"
#include "quic/quic.h"
#include "stream/flow.h"
#include "stream/syntable.h"
#include "tls/tls.h"

enum engine_verdict {
	ENGINE_ACCEPT = 0,
	ENGINE_DROP,      /* drop this packet and every later one of the flow */
	ENGINE_REJECT,    /* as DROP, and reset both ends */
};

/* How a flow answers evasion: a packet its receiver would discard, or a
 * later copy of judged bytes that differs from them (docs/rules.md,
 * `evasion:`). In every mode such a packet never enters the judged stream. */
enum engine_evasion {
	ENGINE_EVASION_NORMALIZE = 0, /* drop the packet / rewrite the copy to the judged bytes */
	ENGINE_EVASION_DROP,          /* drop the flow */
	ENGINE_EVASION_ALERT,         /* let the packet go as it is (anomaly only) */
};

/* Which packets' checksums are verified. */
enum engine_checksums {
	ENGINE_CSUM_AUTO = 0,  /* offline: a direction whose SYN carried good checksums,
			        * up to an Ethernet MTU, until its AUTO_CSUM_STRIKES-th
			        * bad one (a capture taken on a host with checksum or
			        * receive offload has bad ones on many of that host's
			        * packets; a fake is one or two) */
	ENGINE_CSUM_VERIFY,    /* all, except packets marked ENGINE_PKT_CSUM_UNKNOWN */
	ENGINE_CSUM_IGNORE,
};

/* Flags of engine_ip_packet(). */
#define ENGINE_PKT_CSUM_UNKNOWN 0x1   /* the kernel has not filled the checksum yet */

/* What to do with the packet just handled, besides the flow's verdict. */
enum engine_pkt_action {
	ENGINE_PKT_PASS = 0,
	ENGINE_PKT_DROP,       /* drop this packet only; the flow goes on */
	ENGINE_PKT_REWRITE,    /* send engine_last_action()'s bytes instead */
};

struct engine_config {
	size_t max_flows;          /* flow table size */
	uint64_t flow_timeout_us;  /* idle flows are expired after this */
	uint32_t max_ooo_bytes;    /* out-of-order bytes buffered per direction */
	uint32_t max_ooo_segments; /* out-of-order segments per direction */
	size_t stream_memcap;      /* out-of-order bytes over all flows */
	size_t cert_cache;         /* unreferenced distinct certificates kept */
	/* Inline use: a decided flow is taken off the queue by the kernel (its
	 * conntrack mark), so the engine will not see its FIN. Its session is
	 * logged and freed at once (accepted: counted as forgotten; drop,
	 * reject: as refused) and only its key and verdict are kept, for
	 * linger_us of idleness: the packets queued behind the one that
	 * decided, which reach the engine before the mark applies, get the
	 * same verdict unparsed (engine_last_repeated()) instead of starting a
	 * new mid-stream flow. */
	bool forget_decided;
	/* How long a decided flow so kept stays after its last packet (a
	 * packet queued behind the decision comes within milliseconds; a
	 * refused QUIC client's Initials, which no mark stops, come again
	 * within seconds). Never longer than flow_timeout_us. */
	uint64_t linger_us;
	/* The exception policy: the verdict for a flow whose handshake the
	 * engine cannot follow whole because a reassembly limit was reached
	 * (segment limit, per-flow or global memcap: a gap in the handshake).
	 * ENGINE_ACCEPT (default) passes it unjudged past the gap, with the
	 * anomaly event; ENGINE_DROP fails closed. */
	enum engine_verdict exception_verdict;
	/* TLS 1.3 handshake secrets (secaudit read --keylog): sessions found
	 * in it are decrypted up to each side's Finished. NULL: none. Borrowed;
	 * must outlive the engine. */
	const struct keylog *keylog;
	/* Inline, a key log that grows (secaudit-monitor --keylog): TLS 1.3
	 * sessions whose secrets are missing at the ServerHello wait for them
	 * (tls_session_wait_keys, engine_keys_retry). */
	bool keylog_wait;
	/* Events carry the flow's Community ID v1 (Suricata's community_id)
	 * with this seed. On by default, seed 0, as Suricata's option. */
	bool community_id;
	uint16_t community_id_seed;
	enum engine_checksums checksums;
	/* Offline: the capture may have missed packets, so an ACK of unseen
	 * data within a window of what was seen is a missed segment, not a
	 * fake (a fake one further ahead still is). Inline every segment
	 * passes the gateway: any ACK of unsent data is a fake. */
	bool lossy_capture;
};

/* Sets every field to the default every program starts from. */
void engine_config_default(struct engine_config *cfg);

/* Per-flow state the sink sees. `tls` is valid until the session is logged
 * (sink->session_end), after which it is released. */
struct engine_session {
	struct flow *flow;
	struct tls_session tls;
	/* A QUIC flow's packet-level facts (NULL for TCP). Valid, like tls,
	 * until the session is logged. */
	struct quic_session *quic;
	uint64_t first_us;           /* first packet of the flow */
	uint64_t last_us;
	uint64_t last_index;         /* the caller's number of its last packet (engine_set_index) */
	enum engine_verdict verdict; /* the flow's verdict so far */
	bool inspecting;             /* still in the handshake phase */
	bool logged;                 /* session_end was called */
	bool has_tls;                /* tls (or quic->gquic) holds a session worth logging */
	void *user;                  /* the sink's per-flow state */
	uint64_t anomalies;          /* every anomaly reported for the flow */
	/* Set by the sink when its verdict can no longer change (the policy
	 * has judged everything it will). With forget_decided (inline) the
	 * engine then stops inspecting, so the flow is decided and bypassed at
	 * once: a TLS 1.3 session at its ServerHello, not a packet later. */
	bool final;
	/* What the events of the packet being handled say it came from
	 * (enum pkt_src; PKT_SRC_FLOW_END when the flow ends without a
	 * packet), and the configuration's community_id settings. */
	uint8_t pkt_src;
	bool community_id;
	uint16_t community_id_seed;
	/* The clear-text exchange before TLS (proxy tunnel, STARTTLS), if
	 * any: its facts stay readable after inspection ends. */
	struct pretls pre;
	/* private */
	bool client_syn;             /* the client's SYN was seen: its half is anchored */
	bool evasion_known;          /* evasion holds the sink's answer */
	uint8_t evasion;             /* enum engine_evasion */
	/* What each side's receiver holds the other's segments against
	 * (index: the sending side). */
	struct engine_peer {
		bool syn;            /* its SYN was seen: ttl, opts, isn are its SYN's */
		bool isn_known;
		bool csum_checked;   /* ENGINE_CSUM_AUTO: its SYN's checksum held */
		uint8_t csum_bad;    /* ENGINE_CSUM_AUTO: bad checksums seen */
		uint8_t ttl;         /* its SYN's TTL, else the highest of its accepted packets:
		                      * the floor */
		uint8_t low_ttl;     /* TTL of its last packet kept out as insertion */
		uint32_t low_seq;    /* and that packet's sequence number */
		uint8_t opts;        /* DECODE_OPT_* of its SYN */
		uint8_t wscale;      /* its SYN's shift, when both SYNs offered one */
		uint32_t isn;
		uint32_t snd_max;    /* one past the highest sequence number it sent */
		uint32_t max_win;    /* largest window it advertised (scaled) */
	} peer[2];
};

struct engine_sink {
	void *arg;
	/* Milestones (TLS_EV_* bits) newly reached: returns the flow's verdict
	 * (may be NULL: everything is accepted). */
	enum engine_verdict (*milestone)(void *arg, struct engine_session *es, unsigned ev,
					 uint64_t ts_us);
	/* A packet of a flow still in its handshake, before it is inspected
	 * (may be NULL). */
	void (*packet)(void *arg, struct engine_session *es, uint64_t ts_us);
	/* A copy of the client's SYN, then of the server's SYN+ACK when there
	 * is one, from the SYN source (engine_syn_fn), before the first packet
	 * of a flow whose SYNs the engine was not shown (may be NULL). pkt:
	 * from the IP header, valid during the call; ts_us never decreases
	 * and is no later than that first packet's. */
	void (*syn_copy)(void *arg, struct engine_session *es, const uint8_t *pkt, size_t len,
			 uint64_t ts_us);
	/* The handshake is over or the flow ended: log the session. Called
	 * once per flow that carried TLS. */
	void (*session_end)(void *arg, struct engine_session *es, uint64_t ts_us);
	/* An anomaly. es is NULL for packets that belong to no flow (then d,
	 * possibly partly filled, says what is known of the packet). */
	void (*anomaly)(void *arg, const struct engine_session *es, const struct decoded *d,
			enum anomaly a, uint64_t ts_us);
	/* Frees es->user when the flow goes (may be NULL). */
	void (*user_free)(void *arg, struct engine_session *es);
	/* An evasion (ANOM_EVASION_* or ANOM_STREAM_OVERLAP_DIFF, already
	 * reported through anomaly) in a flow: returns how the flow answers
	 * it (may be NULL: normalize). May judge the flow (a blocked alert
	 * for ENGINE_EVASION_DROP). a = ANOM_COUNT: a new flow asks its mode
	 * only. */
	enum engine_evasion (*evasion)(void *arg, struct engine_session *es, enum anomaly a,
				       uint64_t ts_us);
};

struct keylog;

struct engine_counters {
	uint64_t packets, bytes, tcp_packets, decode_anomalies;
	uint64_t udp_packets, quic_sessions; /* quic_sessions: counted in tls_sessions too */
	uint64_t flows, tls_sessions, not_tls_flows;
	uint64_t inspected_packets;  /* packets that went through reassembly */
	uint64_t accepted, dropped, rejected;
	uint64_t forgotten;          /* accepted flows kept without their session (forget_decided) */
	uint64_t refused;            /* refused flows kept without their session (forget_decided) */
	uint64_t repeated;           /* packets given a decided flow's verdict unparsed */
	uint64_t lingering;          /* now: decided flows kept (a gauge, not a count) */
	uint64_t exceptions;         /* flows that hit a reassembly limit in their handshake */
	uint64_t syns_from_source;   /* flows anchored by a SYN from the SYN source */
	uint64_t cert_lookups, cert_parses;
	uint64_t evasion[ANOM_EVASION_KINDS]; /* by kind, ANOM_EVASION_FIRST first */
	uint64_t evasion_dropped;    /* packets dropped for evasion (normalize) */
	uint64_t evasion_rewritten;  /* packets rewritten to the judged bytes */
	uint64_t csum_checked, csum_unknown; /* packets verified; left to the kernel */
};

struct engine;

/*
 * Where the SYNs the engine is not shown can be asked for (inline, the
 * kernel copies clients' SYNs and servers' SYN+ACKs to monitor/synlog.c
 * instead of queueing them). Called once for a flow whose first packet is
 * not a SYN: true, with what the SYNs said, when that connection's SYN
 * was seen.
 */
typedef bool (*engine_syn_fn)(void *arg, const struct decoded *d, struct syntable_conn *out);

/* NULL on allocation failure. The sink is copied. */
struct engine *engine_new(const struct engine_config *cfg, const struct engine_sink *sink);
/* Ends every flow (logging sessions not yet logged) and frees everything. */
void engine_free(struct engine *e);

/* A captured packet of link type dlt (pcap DLT_*). Returns the verdict
 * for this packet. ts_us: packet time (capture time, or CLOCK_REALTIME). */
enum engine_verdict engine_packet(struct engine *e, int dlt, const uint8_t *pkt, size_t len,
				  uint64_t ts_us);
/* The same packet, already decoded (decode_packet() gave r and d over
 * pkt): secaudit read's workers decode a packet to see whether its flow
 * is theirs, and need not do it again. d is not kept. */
enum engine_verdict engine_packet_decoded(struct engine *e, const uint8_t *pkt, size_t len,
					  enum decode_result r, const struct decoded *d,
					  uint64_t ts_us);
/* A packet that starts at its IP header (NFQUEUE); flags: ENGINE_PKT_*. */
enum engine_verdict engine_ip_packet(struct engine *e, const uint8_t *pkt, size_t len,
				     uint64_t ts_us, unsigned flags);
/*
 * What to do with the packet just handled besides its verdict (evasion,
 * inline): pass it, drop it alone, or send *pkt (*len bytes: the packet
 * with the judged bytes in place of a conflicting copy, checksums
 * recomputed; valid until the next packet). pkt and len may be NULL.
 */
enum engine_pkt_action engine_last_action(const struct engine *e, const uint8_t **pkt,
					  size_t *len);
/* Whether the flow of the packet just handled is decided: its verdict is
 * drop or reject, or its inspection is over (handshake done, not TLS, flow
 * ended). Inline, such a flow may leave the queue. False for packets that
 * belong to no flow (pure ACKs, non-TCP). */
bool engine_last_decided(const struct engine *e);
/* Whether the packet just handled belongs to a flow decided before it (a
 * packet queued behind the one that decided, or sent again; inline only):
 * it got the flow's verdict (accept, drop or reject) without being parsed,
 * and nothing is to be done again for it (resets, counts of verdicts). */
bool engine_last_repeated(const struct engine *e);
/* Whether the packet just handled was sent by the server of its flow
 * (false for packets that belong to no flow). */
bool engine_last_from_server(const struct engine *e);
/*
 * A verdict reached outside a packet (a probe answered while the server's
 * flight was held): the flow's verdict becomes the stronger of its own and
 * v, and a session the sink marked final is logged now, as after a packet.
 * Inline (forget_decided), a flow so decided then leaves as after a packet
 * (its session freed, its key and verdict kept: forgotten if accepted,
 * refused if not): true when it did, es and the sink's user state are
 * then freed. Never frees another
 * flow's (engine_foreach_session() may call it for the flow it gives).
 */
bool engine_decide(struct engine *e, struct engine_session *es, enum engine_verdict v,
		   uint64_t ts_us);
/*
 * A session waiting for its key log secrets (engine_config.keylog_wait):
 * looks for them again (`last`: gives up waiting). What its kept records
 * then show goes to the sink's milestone callback as a packet's would
 * (anomalies reported, inspection ended when decided). Returns the flow's
 * verdict; es stays valid.
 */
enum engine_verdict engine_keys_retry(struct engine *e, struct engine_session *es, bool last,
				      uint64_t ts_us);
/* Sets the SYN source (fn NULL: none, the default). */
void engine_set_syn_source(struct engine *e, engine_syn_fn fn, void *arg);

/*
 * For a caller that splits one capture's flows over several engines
 * (secaudit read --threads): numbers the packets that follow from index
 * (each engine_packet() then takes the next number), so that a new flow's
 * id is made from the number of the packet that opened it, and each
 * session keeps its last packet's number (last_index: the order in which
 * flows are expired or flushed, whatever engine holds them).
 */
void engine_set_index(struct engine *e, uint64_t index);
/* A packet at ts_us went to another engine: idle flows are expired here
 * exactly as if this engine had handled it. */
void engine_tick(struct engine *e, uint64_t ts_us);

/* Ends all flows now (end of a capture): logs what is unlogged, each
 * session at the time of its last packet. */
void engine_flush(struct engine *e);

void engine_counters(const struct engine *e, struct engine_counters *out);
/* Calls fn for every flow's session, oldest first (fn may end the flow it
 * is given through engine_decide(), no other). */
void engine_foreach_session(struct engine *e, void (*fn)(void *arg, struct engine_session *es),
			    void *arg);

#endif
