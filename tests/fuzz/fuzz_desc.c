/* SPDX-License-Identifier: MIT */
/* Fuzz target: the stored descriptor checker and the built-in signature parser. */
#include <string.h>

#include "ext4/metadata.h"
#include "fuzz_common.h"

/*
 * Input: a 16-byte header, then the descriptor and signature as stored.
 *   [0]      filesystem block size: 1 KiB << (byte % 7)
 *   [2..8)   i_size, le48
 *   [8..12)  le32: the descriptor starts this many blocks after the tree area
 *   [16..)   descriptor + signature (256 to 16384 bytes)
 */
#define HDR 16

static void bad(void *ctx, const char *field, int severity, const char *msg)
{
	volatile size_t n = strlen(msg) + (field ? strlen(field) : 0);

	(void)ctx;
	(void)severity;
	(void)n;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbv_ext4_verity_info info;
	struct ext4_verity_loc loc;
	struct ext4_file f;
	const uint8_t *desc = data + HDR;
	uint8_t fdigest[12 + MBV_MAX_DIGEST_SIZE];
	uint64_t tree_size;
	int worst;

	if (size < HDR + MBV_DESCRIPTOR_SIZE || size > HDR + 16384)
		return 0;
	memset(&f, 0, sizeof(f));
	f.blkbits = 10 + data[0] % 7;
	f.bs = 1u << f.blkbits;
	f.size = le(data + 2, 6);
	memset(&loc, 0, sizeof(loc));
	loc.meta_pos = ext4_round_up(f.size, EXT4_VERITY_META_ALIGN);
	loc.desc_pos = loc.meta_pos + le(data + 8, 4) * f.bs;
	loc.desc_size = (uint32_t)(size - HDR);
	loc.size_pos = ext4_round_up(loc.desc_pos + loc.desc_size + 4, f.bs) - 4;

	worst = mbv_e4_verity_check_desc(&f, &loc, desc, &info, bad, NULL);
	if (worst >= EXT4_DESC_FATAL || !info.hash_algorithm)
		return 0;
	mbv_formatted_digest(info.hash_algorithm, info.digest, fdigest);
	if (info.block_size) {
		struct mbv_tree_spec spec = { .hash_algorithm = info.hash_algorithm,
					      .block_size = info.block_size };

		mbv_tree_size(&spec, f.size, &tree_size, NULL, NULL);
	}
	/* The signature parser sees what the kernel would hand PKCS#7. */
	if (info.sig_size && fz_cert_path())
		mbv_verify_signature(info.hash_algorithm, info.digest, desc + MBV_DESCRIPTOR_SIZE,
				     info.sig_size, fz_cert_path(), NULL, NULL);
	return 0;
}
