// SPDX-License-Identifier: MIT
/* libFuzzer target: results_read_json on arbitrary bytes (a results.json from elsewhere). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "plots/results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the reader takes a path: one temporary file per input, removed at once */
	char path[] = "/tmp/qoslab-fuzz-results.XXXXXX";
	struct results *r = NULL;
	char err[256];
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size &&
	    results_read_json(path, &r, err, sizeof(err)) == 0) {
		/* whatever was accepted must aggregate and be walkable */
		for (size_t p = 0; p < results_n_points(r); p++)
			for (size_t m = 0; m < results_n_metrics(r); m++)
				if (!results_point_stats(r, p, m))
					abort();
		results_free(r);
	}
	close(fd);
	unlink(path);
	return 0;
}
