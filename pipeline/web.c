// SPDX-License-Identifier: MIT
/* Which embedded file answers which address, and its media type. */
#include "pipeline/web.h"

#include <errno.h>
#include <string.h>

static const struct web_file *find(const char *name)
{
	for (size_t i = 0; i < web_files_n; i++)
		if (!strcmp(web_files[i].name, name))
			return &web_files[i];
	return NULL;
}

static const char *media_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(*types); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

int web_lookup(const char *url, const struct web_file **ret_file, const char **ret_type)
{
	const struct web_file *f = NULL;

	if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
		f = find("index.html");
	else if (!strcmp(url, "/favicon.ico"))
		f = find("favicon.svg");
	else if (!strncmp(url, "/jobs/", 6) && url[6] && strspn(url + 6, "0123456789") == strlen(url + 6))
		f = find("job.html");
	else if (!strncmp(url, "/static/", 8) && !strchr(url + 8, '/'))
		f = find(url + 8);
	if (!f)
		return -ENOENT;
	*ret_file = f;
	*ret_type = media_type(f->name);
	return 0;
}
