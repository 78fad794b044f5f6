/* SPDX-License-Identifier: MIT */
/*
 * An ns-3 simulated channel (point-to-point, CSMA or ad hoc Wi-Fi) joining taps in real network
 * namespaces, run in real time by the qoslab-ns3 program (emu/ns3/qoslab-ns3.cc). The controller
 * opens the taps (it has the privilege) and passes their fds to the program (which needs none).
 */
#ifndef QOSLAB_NS3LINK_H
#define QOSLAB_NS3LINK_H
#include <stdint.h>
#include <sys/types.h>
#include <net/if.h>

#include "emu/link.h"

#define NS3LINK_PROGRAM "qoslab-ns3"
#define NS3LINK_MAX_ENDPOINTS 16
/* qoslab-ns3's exit status when the simulator fell behind real time by more than the hard
 * limit (RealtimeSimulatorImpl HardLimit); ns3link reports it as -NS3LINK_EBEHIND. */
#define NS3LINK_EXIT_BEHIND 3
#define NS3LINK_EBEHIND ETIME

enum ns3link_channel { NS3LINK_P2P, NS3LINK_CSMA, NS3LINK_WIFI };

/* One point of a Wi-Fi station's track: at t_s seconds after the link started, distance_m
 * from the hub; linear in between, the last distance after the last point. */
struct ns3link_waypoint {
	double t_s, distance_m;
};

struct ns3link_endpoint {
	int ns_fd;            /* namespace the tap goes into */
	const char *ifname;   /* the tap's name there */
	const char *cidr;     /* address given to the tap, e.g. "10.78.0.1/24"; NULL: none */
	uint8_t mac[6];       /* should be locally administered (02:...); all zero: 02:51:00:00:00:i+1 */
	double distance_m;    /* wifi: from the first endpoint (the hub at the origin) */
	const struct ns3link_waypoint *track; /* wifi, not the hub: moves (overrides distance_m) */
	unsigned int ntrack;  /* points, times in order */
};

struct ns3link_config {
	enum ns3link_channel channel;
	/* p2p and csma */
	uint64_t rate_bps;        /* 0: 100 Mbit/s */
	uint64_t delay_us;        /* one way */
	unsigned int queue_packets; /* device queue; 0: 100 */
	/* receive error models of p2p and csma, each direction its own; the first given wins */
	const char *drop_list;    /* "3,17,40": the Nth frames each device receives are lost */
	double burst_rate;        /* probability a burst starts, */
	unsigned int burst_size;  /* bursts of 1..burst_size frames (0: 3) */
	double error_rate;        /* independent frame loss probability (RateErrorModel) */
	/* wifi */
	const char *standard;     /* a|b|g|n|ac; NULL: a */
	const char *wifi_rate;    /* "minstrel" or a constant mode (e.g. OfdmRate12Mbps); NULL: minstrel */
	double exponent;          /* log-distance path-loss exponent; 0: 3 */
	int nakagami;             /* Nakagami fading on top */
	/* all */
	uint64_t seed;            /* ns-3 RngRun; 0 is taken as 1 */
	const char *pcap_dir;     /* pcap per simulated device, DIR/IFNAME.pcap (give the taps distinct names); NULL: none */
	unsigned int hard_limit_ms; /* allowed lateness behind real time; 0: 100 */
	uid_t uid;                /* run the program as this user (0: as we are) */
	const char *program;      /* qoslab-ns3 to run; NULL: found beside the qoslab binary */
};

/* Counters of one simulated device, from qoslab-ns3's report. */
struct ns3link_counters {
	char name[32];
	uint64_t sent;        /* frames from the tap the simulated device accepted */
	uint64_t received;    /* frames the channel delivered to the tap */
	uint64_t ignored;     /* frames the channel cannot carry (p2p: not IP) */
	uint64_t error_drops; /* lost by the receive error model (wifi: by the radio, before retries) */
	uint64_t queue_drops; /* the device queue was full */
	uint64_t retry_drops; /* wifi: given up after the retry limit */
	uint64_t sent_bytes, received_bytes; /* Ethernet frames' bytes, as sent and received */
};

struct ns3link_stats {
	int fell_behind;
	double sim_time_s;
	unsigned int n;
	struct ns3link_counters dev[NS3LINK_MAX_ENDPOINTS];
};

struct ns3link;

/* 0 when taps can be made in a fresh namespace here; else -errno with why filled. */
int ns3link_probe(char *why, size_t len);

/*
 * Creates n taps (one per endpoint, in its namespace: MAC, offloads off, address, up, IPv6 off,
 * permanent neighbour entries for the other endpoints' addresses), starts qoslab-ns3 on them
 * and returns once it runs (simulated t=0). The program dies with the calling thread
 * (PR_SET_PDEATHSIG), and the taps with it. p2p needs n == 2, the others 2..NS3LINK_MAX_ENDPOINTS.
 * -ENOENT when qoslab-ns3 is not there; -NS3LINK_EBEHIND when it fell behind at once.
 */
int ns3link_new(const struct ns3link_config *cfg, const struct ns3link_endpoint *eps, unsigned int n,
		struct ns3link **ret);
pid_t ns3link_pid(const struct ns3link *l);
/* 0 while the program runs; -NS3LINK_EBEHIND when it fell behind real time, -EPIPE when it
 * ended otherwise. Does not block. */
int ns3link_check(struct ns3link *l);
/*
 * Stops the program (SIGTERM, then SIGKILL after 5 s), fills ret_stats (may be NULL) from its
 * report, frees l (NULL-safe). Returns 0, -NS3LINK_EBEHIND when it fell behind real time at
 * any point, -EPIPE when it died without a report.
 */
int ns3link_free(struct ns3link *l, struct ns3link_stats *ret_stats);

/*
 * What can change while the link runs (like netem's impairments on a timeline), in the
 * units of the names. Per device or for the whole link (dev -1):
 *   DELAY_US    p2p, csma: the channel's one-way delay (whole link only)
 *   RATE_BPS    p2p: the device's sending rate; csma: the channel's (whole link only)
 *   ERROR_RATE  p2p, csma: frame loss probability 0..1 of the device's receive error model
 *               (a burst or list model is replaced by independent losses)
 *   DISTANCE_M  wifi: the station's distance from the hub (dev 1..n-1; ends its track)
 */
enum ns3link_param { NS3LINK_DELAY_US, NS3LINK_RATE_BPS, NS3LINK_ERROR_RATE, NS3LINK_DISTANCE_M };

/* Applies one change in the running simulation and returns once it is in effect (the next
 * frame sees it). -EINVAL when the channel has no such setting, the device does not exist or
 * the value is out of range; -EPIPE when the program is gone; -ETIMEDOUT after 2 s. */
int ns3link_set(struct ns3link *l, int dev, enum ns3link_param key, double value);
/*
 * The devices' counters now, without stopping anything (ns3link_free gives the final ones).
 * dev[i] is endpoint i's simulated device: sent = frames its tap gave the channel, received =
 * frames the channel delivered to its tap, drops as in struct ns3link_counters.
 */
int ns3link_stats(struct ns3link *l, struct ns3link_stats *ret);
/* One endpoint's counters in the shape of a kernel link's (tx = into the channel):
 * tx_packets/bytes sent, rx_packets/bytes received, tx_dropped queue drops (+ wifi retry
 * drops), rx_dropped error-model (wifi: radio) drops. -ENOENT: no such endpoint. */
int ns3link_dev_stats(struct ns3link *l, unsigned int dev, struct link_stats *ret);

/* "delay_us|rate_bps|error_rate|distance_m" -> key; -EINVAL otherwise. */
int ns3link_param_parse(const char *s, enum ns3link_param *ret);
const char *ns3link_param_name(enum ns3link_param key);

/* "p2p|csma|wifi" -> channel; -EINVAL otherwise. */
int ns3link_channel_parse(const char *s, enum ns3link_channel *ret);
#endif
