/* SPDX-License-Identifier: MIT */
/*
 * mbverity/base.h - what every part of the API shares: the version, the
 * hash algorithms and sizes, and the one shape errors take.
 *
 * Conventions: functions return 0 or a negative errno, and a function that
 * can say more takes an optional mbv_error_fn and its context as its last
 * two parameters; every exported symbol starts with mbv_; no process-wide
 * state besides the CPU-feature cache, so independent builders may run in
 * different threads.
 */
#ifndef MBVERITY_BASE_H
#define MBVERITY_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* This header's release; configure.ac reads MBV_VERSION_STRING from here. */
#define MBV_VERSION_MAJOR	0
#define MBV_VERSION_MINOR	2
#define MBV_VERSION_PATCH	0
#define MBV_VERSION_STRING	"0.2.0"
/* One number that compares: 0x00MMmmpp. */
#define MBV_VERSION	((MBV_VERSION_MAJOR << 16) | (MBV_VERSION_MINOR << 8) | MBV_VERSION_PATCH)

#define MBV_HASH_ALG_SHA256	1
#define MBV_HASH_ALG_SHA512	2

#define MBV_MAX_DIGEST_SIZE	64
#define MBV_MAX_SALT_SIZE	32
#define MBV_DESCRIPTOR_SIZE	256
#define MBV_MAX_SIGNATURE_SIZE	16128
#define MBV_MIN_BLOCK_SIZE_LOG2	6	/* 2 x SHA-256 digest; SHA-512 needs 7 */
#define MBV_MAX_BLOCK_SIZE_LOG2	30


/**
 * mbv_error_fn - receives a one-line error message
 * @ctx: the caller's context
 * @msg: the message, valid only during the call
 *
 * The one way errors are told, in every part of the API (trees, signatures,
 * ext4): an optional callback and its context as a function's last two
 * parameters, never an errbuf and never a field of a params struct.  A
 * parameter, because the function's prototype then shows that it can say
 * why, one call's messages go to that call (threads never share a
 * callback by accident through a params struct reused elsewhere), and the
 * params structs stay plain descriptions of the work.  A builder made by
 * mbv_tree_new() keeps the callback for its later calls.  Called at most
 * once per failing call, in the calling thread; NULL says nothing.
 */
typedef void (*mbv_error_fn)(void *ctx, const char *msg);

#ifdef __cplusplus
}
#endif

#endif
