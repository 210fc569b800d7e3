/* SPDX-License-Identifier: MIT */
/*
 * The buffer-size experiment: a file's data fed to the tree builder one
 * 4 KiB unit per call versus whole 64 KiB, 256 KiB and 1 MiB buffers cut
 * into units at the bottom, with the heap digest array and with the 512-byte
 * stack fallback.  Usage: bench_buffers [MIB]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mbverity.h"
#include "merkle.h"	/* mbv_tree_new_flags(): the stack fallback on purpose */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Best of @rounds: seconds to build the tree of @data fed @chunk bytes a call. */
static double run(const uint8_t *data, size_t size, size_t chunk, uint32_t flags,
		  int rounds, uint8_t digest[32])
{
	double best = 1e9;
	int r;

	for (r = 0; r < rounds; r++) {
		struct mbv_tree_params p = { .version = 1, .file_size = size };
		struct mbv_tree_builder *b;
		struct mbv_tree_result res;
		double t = now();
		size_t off;

		if (mbv_tree_new_flags(&p, flags, &b, NULL, NULL))
			exit(1);
		for (off = 0; off < size; off += chunk)
			mbv_tree_update(b, data + off, size - off < chunk ? size - off : chunk);
		if (mbv_tree_finish(b, &res))
			exit(1);
		mbv_tree_free(b);
		t = now() - t;
		if (t < best)
			best = t;
		memcpy(digest, res.digest, 32);
	}
	return best;
}

int main(int argc, char **argv)
{
	static const size_t chunks[] = { 4096, 64 << 10, 256 << 10, 1 << 20 };
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	size_t size = mib << 20, i;
	uint8_t *data = aligned_alloc(4096, size);
	uint8_t ref[32], d[32];
	double base = 0;

	if (!data)
		return 1;
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	printf("tree of %zu MiB from memory, sha256, 4 KiB blocks, kernel %s, best of 5\n",
	       mib, mbv_sha256_impl_name());
	printf("%-26s %10s %10s %8s\n", "fed per call", "digests", "GB/s", "ratio");
	run(data, size, 1 << 20, 0, 1, ref);	/* warm up; the reference digest */
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		int stack;

		for (stack = 0; stack < 2; stack++) {
			double t = run(data, size, chunks[i],
				       stack ? MBV_TREE_FLAG_STACK_DIGESTS : 0, 5, d);

			if (memcmp(d, ref, 32) != 0) {
				fprintf(stderr, "digest differs!\n");
				return 1;
			}
			if (!base)
				base = t;
			printf("%-26zu %10s %10.2f %7.2fx\n", chunks[i],
			       stack ? "stack 512B" : "heap", size / t / 1e9, base / t);
		}
	}
	free(data);
	return 0;
}
