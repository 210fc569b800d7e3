; SPDX-License-Identifier: MIT
; SHA-512 of 8 messages at once, one per qword lane of a zmm register.
; Each lane's 128-byte block is read as two 64-byte halves and turned into
; words with an in-register 8x8 qword transpose (no gathers); the message
; schedule lives in a ring of 16 zmm registers; vprorq does the rotations
; and vpternlogq the 3-input XORs, Ch and Maj.  The constant padding block
; needs no schedule: its W + K come broadcast from memory.
;
; The op count per round and the cycles/byte it implies are beside
; ROUND_BODY below.

%include "sha512_common.inc"

SHA512_RODATA 4

SHA512_CANON zmm		; a..h in zmm0-zmm7
; zmm8-zmm24: sixteen message rows plus one free register for the
; transposes, which rename rather than move; the W ring names W0..W15 are
; bound to whatever registers the transposes leave the words in.
%define T0 zmm26		; round temporaries
%define T1 zmm27
%define T2 zmm28
%define S0 zmm29		; schedule temporaries
%define S1 zmm30
%define S2 zmm31

; The part of a round after h += W + K, in the fewest ops (the pipes, not
; the latency, are the limit): T1 = h + Ch + S1(e); e' = d + T1;
; a' = T1 + Maj + S0(a).
;
; Op count (zmm ops; the register copy in each Ch/Maj is renamed away: the
; kernel is no faster with it deleted): a round is 17, 2 adds of K and W
; (ROUND_W), Ch + S1 and Maj + S0 at 7 each, d + T1; SCHED is 11 (s0, s1
; at 4, 3 adds) in 64 of the 80 rounds: 25.8 a round.  A block adds 64
; shuffles (16 vpshufb, 48 transposing) and 8 feed-forward adds: 2136 ops
; per 128 bytes of 8 lanes; the constant block is 80 * 17 + 8 = 1368.
; 4 KiB units are 32 blocks + the constant one: 69720 ops per 32 KiB.
; Floor on the Intel Xeon this was measured on (Golden Cove class, CPUID
; 6/167 under KVM): 512-bit ops issue on 2 ports (p0, p5; the rotates
; and shifts, 10.8 a round, on p0 only, which leaves room), so 34860
; cycles per 32 KiB = 1.064 cycles/byte (4 KiB units, hot).  Measured
; there (bench_hash, 2026-12-03, best of 7 and of 5 rounds): 1.06 to 1.09
; cycles/byte hot, at that floor, so fewer ops, not more overlap, is the
; only way on (5.1x OpenSSL's 5.4; 6x would need 0.9, 15% fewer ops); the
; round's latency (about 5 ops on the e chain) hides inside its 12.9
; cycles of issue.  So no 16-lane kernel: it saves no op, puts its W on
; the stack, and reads 16 lanes 4 KiB apart into 12-way L1 sets (SHA-256
; x32 runs 0.96x x16 there for the same reasons).  Zen 5 (four 512-bit
; pipes) halves the issue floor: there the latency may matter.
%macro ROUND_BODY 0
	SHA512_Z_ADD_CH_S1 H, E, F, G, T0, T1, T2	; T1
	vpaddq	D, D, H					; e'
	SHA512_Z_ADD_MAJ_S0 H, A, B, C, T0, T1, T2	; a'
	SHA512_ROTATE
%endmacro

; Round %1 with W[%1] in the ring.
%macro ROUND_W 1
%assign _w (%1) & 15
	vpaddq	H, H, [K512 + 8 * (%1)]{1to8}
	vpaddq	H, H, W%[_w]
	ROUND_BODY
%endmacro

; Round %1 of the constant block, W + K at [rcx].
%macro ROUND_WK 1
	vpaddq	H, H, [rcx + 8 * (%1)]{1to8}
	ROUND_BODY
%endmacro

; W[%1 + 16] into the ring slot of W[%1], which round %1 has just used.
%macro SCHED 1
%assign _w0 (%1) & 15
%assign _w1 ((%1) + 1) & 15
%assign _w9 ((%1) + 9) & 15
%assign _w14 ((%1) + 14) & 15
	SHA512_Z_S0 S0, W%[_w1], S1, S2		; s0(W[t-15])
	vpaddq	W%[_w0], W%[_w0], S0
	SHA512_Z_S1 S0, W%[_w14], S1, S2	; s1(W[t-2])
	vpaddq	W%[_w0], W%[_w0], W%[_w9]
	vpaddq	W%[_w0], W%[_w0], S0
%endmacro

; The transpose leaves W[%2] in %3: ring name %1%2 is bound to it.
%macro BIND 3
%xdefine %1%2 %3
%endmacro

; a..h += the state saved at [rsp] (the feed-forward).
%macro FEED_FORWARD 0
	SHA512_ROWS add, , rsp, 64, A, B, C, D, E, F, G, H
%endmacro

; void mbv_sha512_x8_avx512(uint64_t st[8][8], const uint8_t *const data[8],
;                           size_t nblocks, const uint64_t wk[80]);
; Clobbers rax, rdx, r8, zmm0-zmm31, flags.
MBV_FUNCTION mbv_sha512_x8_avx512
	SHA256_ENTER 8 * 64
	SHA512_ROWS load, vmovdqu64, rdi, 64, A, B, C, D, E, F, G, H
	xor	eax, eax			; byte offset into every lane
	SHA512_BLOCKS
	SHA512_ROWS store, vmovdqa64, rsp, 64, A, B, C, D, E, F, G, H
	SHA512_LOAD_TRANSPOSE8 0, 8, 0, zmm16, BIND, W	; zmm8-zmm16
	SHA512_LOAD_TRANSPOSE8 0, 17, 1, _FREE, BIND, W	; zmm17-zmm24 + one
	SHA512_ROUNDS ROUND_W, SCHED
	FEED_FORWARD
	SHA512_BLOCKS_END
	SHA512_ROWS store, vmovdqa64, rsp, 64, A, B, C, D, E, F, G, H
	SHA512_ROUNDS ROUND_WK
	FEED_FORWARD
.store:
	SHA512_ROWS store, vmovdqu64, rdi, 64, A, B, C, D, E, F, G, H
	vzeroupper
	SHA256_LEAVE
