// SPDX-License-Identifier: MIT
/*
 * qoslab-ns3: joins taps that the controller opened in real namespaces by one simulated ns-3
 * channel (point-to-point, CSMA or ad hoc Wi-Fi), in real time. Started by emu/ns3link.c with
 * the tap fds inherited; it needs no privilege. Protocol with the controller:
 *   --ready-fd N   one byte written at simulated t=0, then closed
 *   --stats-fd N   one JSON object of per-device counters written on exit
 *   exit status    0 after SIGTERM/SIGINT, 2 usage, 3 fell behind real time, 1 other failure
 * Each device is "--dev fd=N,mac=02:..,name=NAME[,distance=M]"; the simulated device gets the
 * tap's MAC, so the addresses the kernel put in a frame are the ones the channel carries.
 */
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

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
	Ptr<FdNetDevice> tap;
	Ptr<NetDevice> sim;
	uint64_t sent = 0, received = 0, ignored = 0, error_drops = 0, queue_drops = 0,
		 retry_drops = 0;
};

struct Params {
	std::string channel;
	std::vector<Dev> devs;
	int ready_fd = -1, stats_fd = -1;
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
		  << "  --ready-fd N --stats-fd N --seed N --pcap-dir DIR --hard-limit-ms N\n"
		  << "  p2p/csma: --rate-bps N --delay-us N --queue N --error-rate P\n"
		  << "            --burst-rate P --burst-size N --drop-list N,N,...\n"
		  << "  wifi: --standard a|b|g|n|ac --wifi-rate minstrel|MODE --exponent X\n"
		  << "        --ref-loss-db X --tx-power-dbm X --nakagami\n";
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
}

static void write_stats(bool behind)
{
	if (!g_cfg || g_cfg->stats_fd < 0)
		return;
	std::ostringstream o;
	o << "{\"channel\":\"" << g_cfg->channel << "\",\"fell_behind\":" << (behind ? "true" : "false")
	  << ",\"sim_time_s\":" << Simulator::Now().GetSeconds() << ",\"devices\":[";
	for (size_t i = 0; i < g_cfg->devs.size(); i++) {
		const Dev &d = g_cfg->devs[i];
		o << (i ? "," : "") << "{\"name\":\"" << d.name << "\",\"sent\":" << d.sent
		  << ",\"received\":" << d.received << ",\"ignored\":" << d.ignored
		  << ",\"error_drops\":" << d.error_drops << ",\"queue_drops\":" << d.queue_drops
		  << ",\"retry_drops\":" << d.retry_drops << "}";
	}
	o << "]}\n";
	std::string s = o.str();
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
	if (d->sim->Send(p->Copy(), to, protocol))
		d->sent++;
	return true;
}

static bool from_sim(Dev *d, Ptr<NetDevice>, Ptr<const Packet> p, uint16_t protocol,
		     const Address &from, const Address &to, NetDevice::PacketType)
{
	/* the sender's tap MAC as source, so the kernel's neighbour entries match */
	if (d->tap->SendFrom(p->Copy(), from, to, protocol))
		d->received++;
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
	if (c.error_rate > 0) {
		Ptr<RateErrorModel> m = CreateObject<RateErrorModel>();
		m->SetAttribute("ErrorRate", DoubleValue(c.error_rate));
		m->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
		return m;
	}
	return nullptr;
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
		if (Ptr<ErrorModel> m = error_model(c)) {
			p->SetReceiveErrorModel(m);
			p->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&count, &d.error_drops));
		}
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
		if (Ptr<ErrorModel> m = error_model(c)) {
			p->SetReceiveErrorModel(m);
			p->TraceConnectWithoutContext("PhyRxDrop", MakeBoundCallback(&count, &d.error_drops));
		}
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
		double a = i ? 2 * M_PI * (double)(i - 1) / (double)(c.devs.size() - 1) : 0;
		double r = i ? c.devs[i].distance_m : 0;
		pos->Add(Vector(r * std::cos(a), r * std::sin(a), 0));
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

	Simulator::Schedule(Seconds(0), &report_ready, c.ready_fd);
	Simulator::Schedule(Seconds(0), &poll_stop);
	Simulator::Run();
	write_stats(false);
	Simulator::Destroy();
	return 0;
}
