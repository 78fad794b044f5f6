// SPDX-License-Identifier: MIT
/*
 * qoslab-ns3: joins taps that the controller opened in real namespaces by one simulated ns-3
 * channel (point-to-point, CSMA or ad hoc Wi-Fi), in real time. Started by emu/ns3link.c with
 * the tap fds inherited; it needs no privilege. Protocol with the controller:
 *   --ready-fd N   one byte written at simulated t=0, then closed
 *   --stats-fd N   one JSON object of per-device counters written on exit
 *   --control-fd N a SOCK_SEQPACKET socket: each message one request, each answered by one
 *                  message ("ok", "error WHY" or the counters' JSON):
 *                    set DEV KEY VALUE   DEV a device index or -1 (the whole link); KEY one of
 *                                        delay_us, rate_bps, error_rate, distance_m
 *                    stats               the counters now
 *   exit status    0 after SIGTERM/SIGINT, 2 usage, 3 fell behind real time, 1 other failure
 * Each device is "--dev fd=N,mac=02:..,name=NAME[,distance=M]"; the simulated device gets the
 * tap's MAC, so the addresses the kernel put in a frame are the ones the channel carries.
 * "--track I=T:D,T:D,..." moves Wi-Fi device I: distance D m at T s, linear in between.
 */
#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ns3/core-module.h"
#include "ns3/csma-module.h"
#include "ns3/fd-net-device-module.h"
#include "ns3/mobility-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/propagation-module.h"
#include "ns3/wifi-module.h"

using namespace ns3;

enum { EXIT_USAGE = 2, EXIT_BEHIND = 3 };

/* The one global the project accepts here: set by the signal handler, polled by an event. */
static volatile sig_atomic_t g_stop;

struct Dev {
	int fd = -1;
	std::string mac, name;
	double distance_m = 0;
	double angle = 0; /* wifi: where on the circle around the hub */
	std::vector<std::pair<double, double>> track; /* wifi: (s, m), sorted by time */
	Ptr<FdNetDevice> tap;
	Ptr<NetDevice> sim;
	Ptr<ErrorModel> error; /* p2p, csma: the receive error model, replaced at run time */
	uint64_t sent = 0, received = 0, ignored = 0, error_drops = 0, queue_drops = 0,
		 retry_drops = 0, sent_bytes = 0, received_bytes = 0;
};

struct Params {
	std::string channel;
	std::vector<Dev> devs;
	int ready_fd = -1, stats_fd = -1, control_fd = -1;
	uint64_t seed = 1;
	std::string pcap_dir;
	uint64_t hard_limit_ms = 100;
	/* p2p, csma */
	uint64_t rate_bps = 100000000, delay_us = 0, queue_packets = 100;
	double error_rate = 0, burst_rate = 0;
	uint64_t burst_size = 3;
	std::string drop_list;
	/* wifi */
	std::string standard = "a", wifi_rate = "minstrel";
	double exponent = 3, ref_loss_db = 46.6777, tx_power_dbm = 16.0206;
	bool nakagami = false;
};

/* Everything the stats and the terminate handler need (a process-wide singleton by nature). */
static Params *g_cfg;

static void usage(const char *why)
{
	std::cerr << "qoslab-ns3: " << why << "\n"
		  << "usage: qoslab-ns3 --channel p2p|csma|wifi --dev fd=N,mac=M,name=S[,distance=M]...\n"
		  << "  --ready-fd N --stats-fd N --control-fd N --seed N --pcap-dir DIR --hard-limit-ms N\n"
		  << "  p2p/csma: --rate-bps N --delay-us N --queue N --error-rate P\n"
		  << "            --burst-rate P --burst-size N --drop-list N,N,...\n"
		  << "  wifi: --standard a|b|g|n|ac --wifi-rate minstrel|MODE --exponent X\n"
		  << "        --ref-loss-db X --tx-power-dbm X --nakagami --track I=T:D,T:D...\n";
	std::exit(EXIT_USAGE);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v = std::strtoull(s, &end, 10);

	if (!*s || *end)
		usage("not a number");
	return v;
}

static double real(const char *s)
{
	char *end;
	double v = std::strtod(s, &end);

	if (!*s || *end)
		usage("not a number");
	return v;
}

static Dev parse_dev(const std::string &spec)
{
	std::stringstream ss(spec);
	std::string kv;
	Dev d;

	while (std::getline(ss, kv, ',')) {
		size_t eq = kv.find('=');
		if (eq == std::string::npos)
			usage("--dev: expected KEY=VALUE");
		std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
		if (k == "fd")
			d.fd = (int)num(v.c_str());
		else if (k == "mac")
			d.mac = v;
		else if (k == "name")
			d.name = v;
		else if (k == "distance")
			d.distance_m = real(v.c_str());
		else
			usage("--dev: unknown key");
	}
	if (d.fd < 0 || d.mac.empty())
		usage("--dev needs fd and mac");
	if (d.name.empty())
		d.name = "dev" + std::to_string(d.fd);
	return d;
}

/* "I=T:D,T:D,...": points in time order, distances >= 0 */
static void parse_track(const std::string &spec, Params &c)
{
	size_t eq = spec.find('=');
	if (eq == std::string::npos)
		usage("--track: expected I=T:D,...");
	size_t i = (size_t)num(spec.substr(0, eq).c_str());
	if (i == 0 || i >= c.devs.size())
		usage("--track: no such device (give --dev first; device 0 is the hub)");
	std::stringstream ss(spec.substr(eq + 1));
	std::string pt;
	auto &tr = c.devs[i].track;
	while (std::getline(ss, pt, ',')) {
		size_t colon = pt.find(':');
		if (colon == std::string::npos)
			usage("--track: expected T:D points");
		double t = real(pt.substr(0, colon).c_str()), d = real(pt.substr(colon + 1).c_str());
		if (t < 0 || d < 0 || (!tr.empty() && t < tr.back().first))
			usage("--track: times and distances >= 0, times in order");
		tr.emplace_back(t, d);
	}
	if (tr.empty())
		usage("--track: no points");
}

static void parse(int argc, char **argv, Params &c)
{
	for (int i = 1; i < argc; i++) {
		std::string o = argv[i];
		if (o == "--nakagami") {
			c.nakagami = true;
			continue;
		}
		if (i + 1 >= argc)
			usage("option without a value");
		const char *v = argv[++i];
		if (o == "--channel") c.channel = v;
		else if (o == "--dev") c.devs.push_back(parse_dev(v));
		else if (o == "--ready-fd") c.ready_fd = (int)num(v);
		else if (o == "--stats-fd") c.stats_fd = (int)num(v);
		else if (o == "--control-fd") c.control_fd = (int)num(v);
		else if (o == "--track") parse_track(v, c);
		else if (o == "--seed") c.seed = num(v);
		else if (o == "--pcap-dir") c.pcap_dir = v;
		else if (o == "--hard-limit-ms") c.hard_limit_ms = num(v);
		else if (o == "--rate-bps") c.rate_bps = num(v);
		else if (o == "--delay-us") c.delay_us = num(v);
		else if (o == "--queue") c.queue_packets = num(v);
		else if (o == "--error-rate") c.error_rate = real(v);
		else if (o == "--burst-rate") c.burst_rate = real(v);
		else if (o == "--burst-size") c.burst_size = num(v);
		else if (o == "--drop-list") c.drop_list = v;
		else if (o == "--standard") c.standard = v;
		else if (o == "--wifi-rate") c.wifi_rate = v;
		else if (o == "--exponent") c.exponent = real(v);
		else if (o == "--ref-loss-db") c.ref_loss_db = real(v);
		else if (o == "--tx-power-dbm") c.tx_power_dbm = real(v);
		else usage(("unknown option " + o).c_str());
	}
	if (c.channel != "p2p" && c.channel != "csma" && c.channel != "wifi")
		usage("--channel must be p2p, csma or wifi");
	if (c.devs.size() < 2 || (c.channel == "p2p" && c.devs.size() != 2))
		usage("p2p joins exactly 2 devices, csma and wifi 2 or more");
	if (c.rate_bps == 0 || c.queue_packets == 0)
		usage("--rate-bps and --queue must be > 0");
	for (const Dev &d : c.devs)
		if (!d.track.empty() && c.channel != "wifi")
			usage("--track moves Wi-Fi stations only");
}

static std::string stats_json(bool behind)
{
	std::ostringstream o;
	o << "{\"channel\":\"" << g_cfg->channel << "\",\"fell_behind\":" << (behind ? "true" : "false")
	  << ",\"sim_time_s\":" << Simulator::Now().GetSeconds() << ",\"devices\":[";
	for (size_t i = 0; i < g_cfg->devs.size(); i++) {
		const Dev &d = g_cfg->devs[i];
		o << (i ? "," : "") << "{\"name\":\"" << d.name << "\",\"sent\":" << d.sent
		  << ",\"received\":" << d.received << ",\"ignored\":" << d.ignored
		  << ",\"error_drops\":" << d.error_drops << ",\"queue_drops\":" << d.queue_drops
		  << ",\"retry_drops\":" << d.retry_drops << ",\"sent_bytes\":" << d.sent_bytes
		  << ",\"received_bytes\":" << d.received_bytes << "}";
	}
	o << "]}\n";
	return o.str();
}

static void write_stats(bool behind)
{
	if (!g_cfg || g_cfg->stats_fd < 0)
		return;
	std::string s = stats_json(behind);
	for (size_t off = 0; off < s.size();) {
		ssize_t n = write(g_cfg->stats_fd, s.data() + off, s.size() - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(g_cfg->stats_fd);
	g_cfg->stats_fd = -1;
}

/*
 * NS_FATAL_ERROR ends in std::terminate(); the only way to tell HardLimit's "fell behind"
 * from other fatal errors is its message, so stderr passes through this buffer, which keeps
 * the last line while forwarding everything.
 */
class TeeBuf : public std::streambuf {
public:
	explicit TeeBuf(std::streambuf *to) : to_(to) {}
	std::string seen;

protected:
	int overflow(int ch) override
	{
		if (ch != EOF) {
			seen.push_back((char)ch);
			if (seen.size() > 4096)
				seen.erase(0, 2048);
		}
		return to_->sputc((char)ch);
	}
	int sync() override { return to_->pubsync(); }

private:
	std::streambuf *to_;
};
static TeeBuf *g_tee;

[[noreturn]] static void on_terminate()
{
	bool behind = g_tee && g_tee->seen.find("Hard real-time limit exceeded") != std::string::npos;

	std::cerr.flush();
	write_stats(behind);
	_exit(behind ? EXIT_BEHIND : 1);
}

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

/* Signal handlers may not touch the simulator; this event turns the flag into Stop(). */
static void poll_stop()
{
	if (g_stop) {
		Simulator::Stop();
		return;
	}
	Simulator::Schedule(MilliSeconds(50), &poll_stop);
}

static void report_ready(int fd)
{
	if (fd >= 0) {
		if (write(fd, "r", 1) != 1) {
			/* the controller gave up waiting; it will kill us */
		}
		close(fd);
	}
}

/* p2p's PPP framing knows only IPv4 and IPv6 (anything else would trip an assertion). */
static bool carries(const Params &c, uint16_t protocol)
{
	return c.channel != "p2p" || protocol == 0x0800 || protocol == 0x86DD;
}

static bool from_tap(Dev *d, Ptr<NetDevice>, Ptr<const Packet> p, uint16_t protocol,
		     const Address &, const Address &to, NetDevice::PacketType)
{
	if (!carries(*g_cfg, protocol)) {
		d->ignored++;
		return true;
	}
	if (d->sim->Send(p->Copy(), to, protocol)) {
		d->sent++;
		d->sent_bytes += p->GetSize();
	}
	return true;
}

static bool from_sim(Dev *d, Ptr<NetDevice>, Ptr<const Packet> p, uint16_t protocol,
		     const Address &from, const Address &to, NetDevice::PacketType type)
{
	/* on a shared channel a device hears its neighbours' unicast frames too: the kernel
	 * would drop them, but the station's counters and capture would count them */
	if (type == NetDevice::PACKET_OTHERHOST)
		return true;
	/* the sender's tap MAC as source, so the kernel's neighbour entries match */
	if (d->tap->SendFrom(p->Copy(), from, to, protocol)) {
		d->received++;
		d->received_bytes += p->GetSize();
	}
	return true;
}

static bool swallow(Ptr<NetDevice>, Ptr<const Packet>, uint16_t, const Address &)
{
	return true;
}

static void count(uint64_t *n, Ptr<const Packet>)
{
	(*n)++;
}

static void count_wifi_rx_drop(uint64_t *n, Ptr<const Packet>, WifiPhyRxfailureReason)
{
	(*n)++;
}

static void count_mac_drop(Dev *d, WifiMacDropReason reason, Ptr<const WifiMpdu>)
{
	if (reason == WIFI_MAC_DROP_REACHED_RETRY_LIMIT)
		d->retry_drops++;
	else
		d->queue_drops++;
}

static Ptr<RateErrorModel> rate_error_model(double rate)
{
	Ptr<RateErrorModel> m = CreateObject<RateErrorModel>();
	m->SetAttribute("ErrorRate", DoubleValue(rate));
	m->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
	return m;
}

/* Without a loss configured a rate-0 model all the same, so that the rate can be raised while
 * the link runs (it draws one number per frame, and every run draws the same ones). */
static Ptr<ErrorModel> error_model(const Params &c)
{
	if (!c.drop_list.empty()) {
		std::list<uint32_t> l;
		std::stringstream ss(c.drop_list);
		std::string n;
		while (std::getline(ss, n, ','))
			l.push_back((uint32_t)num(n.c_str()));
		Ptr<ReceiveListErrorModel> m = CreateObject<ReceiveListErrorModel>();
		m->SetList(l);
		return m;
	}
	if (c.burst_rate > 0) {
		Ptr<BurstErrorModel> m = CreateObject<BurstErrorModel>();
		m->SetAttribute("ErrorRate", DoubleValue(c.burst_rate));
		Ptr<UniformRandomVariable> size = CreateObject<UniformRandomVariable>();
		size->SetAttribute("Min", DoubleValue(1));
		size->SetAttribute("Max", DoubleValue((double)c.burst_size + 1));
		m->SetAttribute("BurstSize", PointerValue(size));
		return m;
	}
	return rate_error_model(c.error_rate);
}

static std::string pcap_path(const Params &c, const Dev &d)
{
	return c.pcap_dir + "/" + d.name + ".pcap";
}

static void build_p2p(Params &c, NodeContainer &nodes)
{
	PointToPointHelper h;
	h.SetDeviceAttribute("DataRate", DataRateValue(DataRate(c.rate_bps)));
	h.SetChannelAttribute("Delay", TimeValue(MicroSeconds(c.delay_us)));
	h.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
		   QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, (uint32_t)c.queue_packets)));
	NetDeviceContainer devs = h.Install(nodes);
	for (size_t i = 0; i < 2; i++) {
		Dev &d = c.devs[i];
		Ptr<PointToPointNetDevice> p = DynamicCast<PointToPointNetDevice>(devs.Get(i));
		d.sim = p;
		d.error = error_model(c);
		p->SetReceiveErrorModel(d.error);
		p->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&count, &d.error_drops));
		p->GetQueue()->TraceConnectWithoutContext("Drop", MakeBoundCallback(&count, &d.queue_drops));
		if (!c.pcap_dir.empty())
			h.EnablePcap(pcap_path(c, d), p, false, true);
	}
}

static void build_csma(Params &c, NodeContainer &nodes)
{
	CsmaHelper h;
	h.SetChannelAttribute("DataRate", DataRateValue(DataRate(c.rate_bps)));
	h.SetChannelAttribute("Delay", TimeValue(MicroSeconds(c.delay_us)));
	h.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize",
		   QueueSizeValue(QueueSize(QueueSizeUnit::PACKETS, (uint32_t)c.queue_packets)));
	NetDeviceContainer devs = h.Install(nodes);
	for (size_t i = 0; i < c.devs.size(); i++) {
		Dev &d = c.devs[i];
		Ptr<CsmaNetDevice> p = DynamicCast<CsmaNetDevice>(devs.Get(i));
		d.sim = p;
		d.error = error_model(c);
		p->SetReceiveErrorModel(d.error);
		p->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&count, &d.error_drops));
		p->GetQueue()->TraceConnectWithoutContext("Drop", MakeBoundCallback(&count, &d.queue_drops));
		if (!c.pcap_dir.empty())
			h.EnablePcap(pcap_path(c, d), p, false, true);
	}
}

static void build_wifi(Params &c, NodeContainer &nodes)
{
	static const struct { const char *name; WifiStandard std; } standards[] = {
		{ "a", WIFI_STANDARD_80211a }, { "b", WIFI_STANDARD_80211b },
		{ "g", WIFI_STANDARD_80211g }, { "n", WIFI_STANDARD_80211n },
		{ "ac", WIFI_STANDARD_80211ac },
	};
	WifiHelper wifi;
	bool found = false, ht = c.standard == "n" || c.standard == "ac";
	for (const auto &s : standards)
		if (c.standard == s.name) {
			wifi.SetStandard(s.std);
			found = true;
		}
	if (!found)
		usage("--standard must be a, b, g, n or ac");
	if (c.wifi_rate == "minstrel")
		wifi.SetRemoteStationManager(ht ? "ns3::MinstrelHtWifiManager" : "ns3::MinstrelWifiManager");
	else
		wifi.SetRemoteStationManager("ns3::ConstantRateWifiManager", "DataMode",
					     StringValue(c.wifi_rate), "ControlMode", StringValue(c.wifi_rate));

	YansWifiChannelHelper ch;
	ch.SetPropagationDelay("ns3::ConstantSpeedPropagationDelayModel");
	ch.AddPropagationLoss("ns3::LogDistancePropagationLossModel", "Exponent", DoubleValue(c.exponent),
			      "ReferenceLoss", DoubleValue(c.ref_loss_db));
	if (c.nakagami)
		ch.AddPropagationLoss("ns3::NakagamiPropagationLossModel");
	YansWifiPhyHelper phy;
	phy.SetChannel(ch.Create());
	phy.Set("TxPowerStart", DoubleValue(c.tx_power_dbm));
	phy.Set("TxPowerEnd", DoubleValue(c.tx_power_dbm));
	phy.SetPcapDataLinkType(WifiPhyHelper::DLT_IEEE802_11_RADIO);
	WifiMacHelper mac;
	mac.SetType("ns3::AdhocWifiMac");
	NetDeviceContainer devs = wifi.Install(phy, mac, nodes);

	/* the first device is the hub at the origin; the others on a circle around it at their
	 * distance, so that stations spread out rather than stack up */
	MobilityHelper mob;
	Ptr<ListPositionAllocator> pos = CreateObject<ListPositionAllocator>();
	for (size_t i = 0; i < c.devs.size(); i++) {
		Dev &d = c.devs[i];
		d.angle = i ? 2 * M_PI * (double)(i - 1) / (double)(c.devs.size() - 1) : 0;
		if (!i)
			d.distance_m = 0;
		else if (!d.track.empty())
			d.distance_m = d.track.front().second;
		pos->Add(Vector(d.distance_m * std::cos(d.angle), d.distance_m * std::sin(d.angle), 0));
	}
	mob.SetPositionAllocator(pos);
	mob.SetMobilityModel("ns3::ConstantPositionMobilityModel");
	mob.Install(nodes);

	for (size_t i = 0; i < c.devs.size(); i++) {
		Dev &d = c.devs[i];
		Ptr<WifiNetDevice> w = DynamicCast<WifiNetDevice>(devs.Get(i));
		d.sim = w;
		w->GetPhy()->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&count_wifi_rx_drop, &d.error_drops));
		w->GetMac()->TraceConnectWithoutContext("DroppedMpdu", MakeBoundCallback(&count_mac_drop, &d));
		if (!c.pcap_dir.empty())
			phy.EnablePcap(pcap_path(c, d), w, false, true);
	}
}

/* ---- changes while the link runs ---- */

static void place(Dev &d, size_t i, double distance_m)
{
	d.distance_m = distance_m;
	Ptr<MobilityModel> m = NodeList::GetNode((uint32_t)i)->GetObject<MobilityModel>();
	m->SetPosition(Vector(distance_m * std::cos(d.angle), distance_m * std::sin(d.angle), 0));
}

/* Linear between a track's points: a station walks rather than jumps; 100 ms steps are far
 * below what changes a radio's fate at walking or driving speed. */
static const double TRACK_STEP_S = 0.1;

static void track_step(size_t i)
{
	Dev &d = g_cfg->devs[i];
	if (d.track.empty())
		return; /* replaced by a distance set meanwhile */
	double t = Simulator::Now().GetSeconds(), dist = d.track.back().second;
	for (size_t k = 0; k < d.track.size(); k++) {
		if (t < d.track[k].first) {
			if (!k) {
				dist = d.track[0].second;
			} else {
				const auto &a = d.track[k - 1], &b = d.track[k];
				dist = a.second + (b.second - a.second) * (t - a.first) / (b.first - a.first);
			}
			break;
		}
	}
	if (dist != d.distance_m)
		place(d, i, dist);
	if (t < d.track.back().first)
		Simulator::Schedule(Seconds(TRACK_STEP_S), &track_step, i);
}

static std::string set_p2p_csma(int dev, const std::string &key, double v)
{
	Params &c = *g_cfg;
	if (key == "delay_us" || (key == "rate_bps" && c.channel == "csma")) {
		if (dev >= 0)
			return "error " + key + " is the channel's, not a device's: give device -1";
		Ptr<Channel> ch = c.devs[0].sim->GetChannel();
		if (key == "delay_us")
			ch->SetAttribute("Delay", TimeValue(MicroSeconds((uint64_t)v)));
		else
			ch->SetAttribute("DataRate", DataRateValue(DataRate((uint64_t)v)));
		return "ok";
	}
	for (size_t i = 0; i < c.devs.size(); i++) {
		Dev &d = c.devs[i];
		if (dev >= 0 && (size_t)dev != i)
			continue;
		if (key == "rate_bps") {
			DynamicCast<PointToPointNetDevice>(d.sim)->SetDataRate(DataRate((uint64_t)v));
		} else if (key == "error_rate") {
			Ptr<RateErrorModel> m = DynamicCast<RateErrorModel>(d.error);
			if (m) {
				m->SetRate(v);
			} else { /* a burst or list model gives way to independent losses */
				d.error = rate_error_model(v);
				if (Ptr<PointToPointNetDevice> p = DynamicCast<PointToPointNetDevice>(d.sim))
					p->SetReceiveErrorModel(d.error);
				else
					DynamicCast<CsmaNetDevice>(d.sim)->SetReceiveErrorModel(d.error);
			}
		} else {
			return "error " + key + " is not a setting of a " + c.channel + " link";
		}
	}
	return "ok";
}

static std::string set_wifi(int dev, const std::string &key, double v)
{
	Params &c = *g_cfg;
	if (key != "distance_m")
		return "error " + key + " is not a setting of a wifi link";
	if (dev <= 0)
		return "error distance_m needs a station (device 1..N-1; device 0 is the hub)";
	Dev &d = c.devs[(size_t)dev];
	d.track.clear(); /* a distance given now overrides the rest of the track */
	place(d, (size_t)dev, v);
	return "ok";
}

/* In the simulator's thread. */
static void control_apply(std::string req)
{
	Params &c = *g_cfg;
	std::istringstream in(req);
	std::string verb, key, reply;
	long dev = -1;
	double v = 0;

	in >> verb;
	if (verb == "stats") {
		reply = stats_json(false);
	} else if (verb == "set" && (in >> dev >> key >> v) && in.eof()) {
		if (dev < -1 || dev >= (long)c.devs.size())
			reply = "error no device " + std::to_string(dev);
		else if (!std::isfinite(v) || v < 0 || (key == "error_rate" && v > 1) ||
			 (key == "rate_bps" && v < 1))
			reply = "error " + key + " out of range";
		else if (c.channel == "wifi")
			reply = set_wifi((int)dev, key, v);
		else
			reply = set_p2p_csma((int)dev, key, v);
	} else {
		reply = "error expected 'set DEV KEY VALUE' or 'stats'";
	}
	/* non-blocking: a controller that stopped reading must not stall the simulation */
	if (send(c.control_fd, reply.data(), reply.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* it gave up waiting; nothing to tell it */
	}
}

/*
 * Requests arrive on their own thread, which blocks in poll and hands each one to the
 * simulator with ScheduleWithContext (safe from another thread in the real-time simulator:
 * the event runs at the real time now, in the simulator's thread). No periodic event: an
 * idle link costs nothing and a change lands within the scheduler's wake-up.
 */
static void control_loop(int fd, int wake_fd)
{
	char buf[512];

	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { wake_fd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (p[1].revents)
			return;
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return; /* the controller closed its end */
		Simulator::ScheduleWithContext(Simulator::NO_CONTEXT, Seconds(0), &control_apply,
					       std::string(buf, (size_t)n));
	}
}

int main(int argc, char **argv)
{
	Params c;
	parse(argc, argv, c);
	g_cfg = &c;

	static TeeBuf tee(std::cerr.rdbuf());
	g_tee = &tee;
	std::cerr.rdbuf(&tee);
	std::set_terminate(on_terminate);
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);

	/* the best-effort default drifts silently when the host is too slow; a run that fell
	 * behind must fail instead */
	GlobalValue::Bind("SimulatorImplementationType", StringValue("ns3::RealtimeSimulatorImpl"));
	Config::SetDefault("ns3::RealtimeSimulatorImpl::SynchronizationMode", StringValue("HardLimit"));
	Config::SetDefault("ns3::RealtimeSimulatorImpl::HardLimit", TimeValue(MilliSeconds(c.hard_limit_ms)));
	GlobalValue::Bind("ChecksumEnabled", BooleanValue(true));
	RngSeedManager::SetSeed(1);
	RngSeedManager::SetRun(c.seed);

	NodeContainer nodes;
	nodes.Create((uint32_t)c.devs.size());
	if (c.channel == "p2p")
		build_p2p(c, nodes);
	else if (c.channel == "csma")
		build_csma(c, nodes);
	else
		build_wifi(c, nodes);

	for (size_t i = 0; i < c.devs.size(); i++) {
		Dev &d = c.devs[i];
		Mac48Address mac(d.mac.c_str());
		d.tap = CreateObject<FdNetDevice>();
		d.tap->SetFileDescriptor(d.fd);
		/* the kernel side owns this MAC; the simulated device speaks for it on the channel */
		d.tap->SetAddress(mac);
		d.sim->SetAddress(mac);
		/* WifiMac::SetAddress leaves the frame exchange manager, which ACKs frames to its
		 * own address, on the address the helper allocated: without this nothing is ACKed */
		if (Ptr<WifiNetDevice> w = DynamicCast<WifiNetDevice>(d.sim)) {
			w->GetMac()->GetFrameExchangeManager()->SetAddress(mac);
			w->GetMac()->GetFrameExchangeManager()->SetBssid(mac);
		}
		nodes.Get((uint32_t)i)->AddDevice(d.tap);
		d.tap->SetReceiveCallback(MakeCallback(&swallow));
		d.tap->SetPromiscReceiveCallback(MakeBoundCallback(&from_tap, &d));
		d.sim->SetReceiveCallback(MakeCallback(&swallow));
		d.sim->SetPromiscReceiveCallback(MakeBoundCallback(&from_sim, &d));
	}

	for (size_t i = 1; i < c.devs.size(); i++)
		if (!c.devs[i].track.empty() && c.channel == "wifi")
			Simulator::Schedule(Seconds(0), &track_step, i);
	Simulator::Schedule(Seconds(0), &report_ready, c.ready_fd);
	Simulator::Schedule(Seconds(0), &poll_stop);
	int wake_fd = -1;
	std::thread control;
	if (c.control_fd >= 0) {
		wake_fd = eventfd(0, EFD_CLOEXEC);
		if (wake_fd < 0) {
			std::cerr << "qoslab-ns3: eventfd: " << std::strerror(errno) << "\n";
			return 1;
		}
		control = std::thread(control_loop, c.control_fd, wake_fd);
	}
	Simulator::Run();
	if (control.joinable()) {
		uint64_t one = 1;
		if (write(wake_fd, &one, sizeof(one)) != sizeof(one))
			control.detach(); /* cannot happen with a fresh eventfd; never hang on it */
		else
			control.join();
	}
	write_stats(false);
	Simulator::Destroy();
	return 0;
}
