// SPDX-License-Identifier: MIT
/* Build-time facts from BUILD/build_info.h (the Makefile writes it); runtime facts from the
 * libraries' own version calls, since a distribution may update a library under the binary. */
#include <curl/curl.h>
#include <gsl/gsl_version.h>
#include <microhttpd.h>
#include <netlink/version.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <yaml.h>

#include "build_info.h"
#include "version.h"

const char *version_release(void)
{
	return QOSLAB_RELEASE;
}

const char *version_commit(void)
{
	return QOSLAB_COMMIT;
}

size_t version_libs(struct version_lib *libs)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	size_t n = 0;

	libs[n] = (struct version_lib){ .name = "libnl-3.0", .built = BUILT_LIBNL };
	snprintf(libs[n++].runtime, sizeof(libs->runtime), "%d.%d.%d", nl_ver_maj, nl_ver_min,
		 nl_ver_mic);
	libs[n] = (struct version_lib){ .name = "libcurl", .built = BUILT_LIBCURL };
	snprintf(libs[n++].runtime, sizeof(libs->runtime), "%s", curl ? curl->version : "");
	libs[n] = (struct version_lib){ .name = "libmicrohttpd", .built = BUILT_LIBMICROHTTPD };
	snprintf(libs[n++].runtime, sizeof(libs->runtime), "%s", MHD_get_version());
	libs[n] = (struct version_lib){ .name = "jansson", .built = BUILT_JANSSON };
	snprintf(libs[n++].runtime, sizeof(libs->runtime), "%s", jansson_version_str());
	libs[n] = (struct version_lib){ .name = "yaml-0.1", .built = BUILT_YAML };
	snprintf(libs[n++].runtime, sizeof(libs->runtime), "%s", yaml_get_version_string());
	libs[n] = (struct version_lib){ .name = "gsl", .built = BUILT_GSL };
	snprintf(libs[n++].runtime, sizeof(libs->runtime), "%s", gsl_version);
	/* TurboJPEG 2.1 has no call that reports its version */
	libs[n++] = (struct version_lib){ .name = "libturbojpeg", .built = BUILT_LIBTURBOJPEG };
	libs[n] = (struct version_lib){ .name = "libpcap", .built = BUILT_LIBPCAP };
	/* "libpcap version 1.10.3 (with TPACKET_V3)" -> "1.10.3" */
	if (sscanf(pcap_lib_version(), "libpcap version %63s", libs[n].runtime) != 1)
		snprintf(libs[n].runtime, sizeof(libs->runtime), "%s", pcap_lib_version());
	n++;
	return n;
}

json_t *version_json(void)
{
	struct version_lib libs[VERSION_LIB_MAX];
	json_t *v, *l = json_object();
	size_t n = version_libs(libs);

	for (size_t i = 0; l && i < n; i++)
		json_object_set_new(l, libs[i].name, json_pack("{s:s, s:s?}", "built", libs[i].built,
							       "runtime", libs[i].runtime[0] ? libs[i].runtime : NULL));
	v = json_pack("{s:s, s:s, s:o?}", "release", version_release(), "commit", version_commit(),
		      "libraries", l);
	return v;
}
