; SPDX-License-Identifier: MIT
; SHA-256 of 16 messages at once, one per dword lane of a zmm register.
; Lanes are loaded with an in-register 16x16 transpose (no gathers); the
; message schedule lives in a ring of 16 zmm registers; vprord does the
; rotations and vpternlogd the 3-input XORs, Ch and Maj.  The constant
; padding block needs no schedule: its W + K come broadcast from memory.

%include "sha256_common.inc"

SHA256_RODATA 4

; Working variables a..h and X (sha256_common.inc), bound to zmm0-zmm8 at
; block boundaries.
SHA256_CANON zmm
; zmm9-zmm25: sixteen message rows plus one free register for the
; transpose, which renames rather than moves; the W ring names W0..W15 are
; bound to whatever registers the transpose leaves the words in.
%define T0 zmm26		; round temporaries
%define T1 zmm27
%define T2 zmm28
%define S0 zmm29		; schedule temporaries
%define S1 zmm30
%define S2 zmm31

; The part of a round after h += W + K.  Vector ops take 2 cycles on Zen 5,
; so the e chain is kept to rotate, ternlog, add: e' = (d + h + K + W +
; Ch) + S1(e); a' = (e' - d + Maj) + S0(a).  Register copies are free.
;
; Op count (zmm ops, copies renamed away): a round is 18, 2 adds of K and
; W (ROUND_W), d + h, Ch + S1 and Maj + S0 at 7 each, e' - d; SCHED is 11
; in 48 of the 64 rounds: 26.25 a round.  A block adds 80 shuffles (16
; vpshufb, 64 transposing) and 8 feed-forward adds: 1768 ops per 64 bytes
; of 16 lanes; the constant block is 64 * 18 + 8 = 1160; a 4 KiB unit is
; 64 blocks + the constant one: 114312 ops per 64 KiB.  Floor on the
; Intel Xeon measured (Golden Cove class, two 512-bit ports, p0 and p5):
; 57156 cycles per 64 KiB = 0.872 cycles/byte (4 KiB units, hot).
; Measured there (bench_hash, 2026-12-03, best of 7 rounds): 0.91, 96%.
; There ops take 1 cycle, the latency is hidden, and the plain round of
; x32 (17 ops: T1 in h, e' = d + T1) measured 0.887 in this kernel: the
; e' - d form is Zen 5's choice, 1 op a round dearer on Intel.
%macro ROUND_BODY 0
	vpaddd	X, D, H				; d + h + K + W
	SHA256_Z_ADD_CH_S1 X, E, F, G, T0, T1, T2	; e'
	vpsubd	H, X, D				; T1 = e' - d
	SHA256_Z_ADD_MAJ_S0 H, A, B, C, T0, T1, T2	; a'
	SHA256_ROTATE
%endmacro

; Round %1 with W[%1] in the ring.
%macro ROUND_W 1
%assign _w (%1) & 15
	vpaddd	H, H, [K256 + 4 * (%1)]{1to16}
	vpaddd	H, H, W%[_w]
	ROUND_BODY
%endmacro

; Round %1 of the constant block, W + K at [rcx].
%macro ROUND_WK 1
	vpaddd	H, H, [rcx + 4 * (%1)]{1to16}
	ROUND_BODY
%endmacro

; W[%1 + 16] into the ring slot of W[%1], which round %1 has just used.
%macro SCHED 1
%assign _w0 (%1) & 15
%assign _w1 ((%1) + 1) & 15
%assign _w9 ((%1) + 9) & 15
%assign _w14 ((%1) + 14) & 15
	vprord	S0, W%[_w1], 7
	vprord	S1, W%[_w1], 18
	vpsrld	S2, W%[_w1], 3
	vpternlogd S0, S1, S2, 0x96		; s0(W[t-15])
	vpaddd	W%[_w0], W%[_w0], S0
	vprord	S0, W%[_w14], 17
	vprord	S1, W%[_w14], 19
	vpsrld	S2, W%[_w14], 10
	vpternlogd S0, S1, S2, 0x96		; s1(W[t-2])
	vpaddd	W%[_w0], W%[_w0], W%[_w9]
	vpaddd	W%[_w0], W%[_w0], S0
%endmacro

; The transpose leaves W[%2] in _LO and W[%3] in _HI: the ring names %1%2
; and %1%3 (W0..W15) are bound to those registers.
%macro BIND 3
%xdefine %1%2 _LO
%xdefine %1%3 _HI
%endmacro

; Add the state saved at [rsp] and move a..h back to zmm0-zmm7 through the
; (now dead) message registers.
%macro FEED_FORWARD 0
	vpaddd	W0, A, [rsp + 0 * 64]
	vpaddd	W1, B, [rsp + 1 * 64]
	vpaddd	W2, C, [rsp + 2 * 64]
	vpaddd	W3, D, [rsp + 3 * 64]
	vpaddd	W4, E, [rsp + 4 * 64]
	vpaddd	W5, F, [rsp + 5 * 64]
	vpaddd	W6, G, [rsp + 6 * 64]
	vpaddd	W7, H, [rsp + 7 * 64]
	SHA256_CANON zmm
	vmovdqa32 A, W0
	vmovdqa32 B, W1
	vmovdqa32 C, W2
	vmovdqa32 D, W3
	vmovdqa32 E, W4
	vmovdqa32 F, W5
	vmovdqa32 G, W6
	vmovdqa32 H, W7
%endmacro

; void mbv_sha256_x16_avx512(uint32_t st[8][16], const uint8_t *const data[16],
;                            size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, r8, zmm0-zmm31, flags.
MBV_FUNCTION mbv_sha256_x16_avx512
	SHA256_ENTER 8 * 64
	SHA256_ROWS load, vmovdqu32, rdi, 64, A, B, C, D, E, F, G, H
	xor	eax, eax			; byte offset into every lane
	SHA256_BLOCKS
	SHA256_ROWS store, vmovdqa32, rsp, 64, A, B, C, D, E, F, G, H
	SHA256_LOAD_TRANSPOSE 0, 9, BIND, W	; zmm9-zmm25
	SHA256_ROUNDS ROUND_W, SCHED
	FEED_FORWARD
	SHA256_BLOCKS_END
	SHA256_ROWS store, vmovdqa32, rsp, 64, A, B, C, D, E, F, G, H
	SHA256_ROUNDS ROUND_WK
	FEED_FORWARD
.store:
	SHA256_ROWS store, vmovdqu32, rdi, 64, A, B, C, D, E, F, G, H
	vzeroupper
	SHA256_LEAVE
