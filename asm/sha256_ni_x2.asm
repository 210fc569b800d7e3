; SPDX-License-Identifier: MIT
; SHA-256 with the SHA extensions, two messages interleaved instruction by
; instruction.  One stream alone waits on sha256rnds2's latency; two keep the
; SHA unit busy.  The message schedule (W + K) of the next block is computed
; while the rounds of this block run, so the rounds only load from memory.

%include "sha256_common.inc"

SHA256_RODATA 1

; Stream s (0 = A, 1 = B) has its state in ABEF(s) / CDGH(s) (xmm1-xmm4,
; sha256_common.inc).
%define TMP	xmm13
%define BSWAPX	xmm15

; M(s, i): message words W[4i..4i+3] of stream s (0 = A: xmm5-8, 1 = B: xmm9-12)
%define M(s, i)	xmm %+ %eval(5 + 4 * (s) + ((i) & 3))

; Stack frame: two W+K buffers of 512 bytes (A at +0, B at +256), then the
; saved state for the feed-forward.
%define BUFSZ	512
%define SAVE	(2 * BUFSZ)
%define FRAME	(2 * BUFSZ + 64)

; W + K of group %2 of stream %1's block at [%3]; stored to [%4].
%macro SCHED 4
%if %2 < 4
	movdqu	M(%1, %2), [%3 + 16 * %2]
	pshufb	M(%1, %2), BSWAPX
%else
	SHA256_NI_SCHED M(%1, %2), M(%1, %2 + 1), M(%1, %2 + 2), M(%1, %2 + 3), TMP
%endif
	movdqa	TMP, M(%1, %2)
	paddd	TMP, [K256 + 16 * %2]
	movdqa	[%4 + 16 * %2], TMP
%endmacro

; void mbv_sha256_ni_x2(uint32_t st[2][8], const uint8_t *const data[2],
;                       size_t nblocks, const uint32_t wk[64]);
; Clobbers rdx, r8-r11, xmm0-xmm15, flags.
MBV_FUNCTION mbv_sha256_ni_x2
	SHA256_ENTER FRAME
	movdqa	BSWAPX, [BSWAP]
	SHA256_NI_LOAD_STATE 2, rdi, TMP
	mov	r8, [rsi]
	mov	r9, [rsi + 8]
	test	rdx, rdx
	jz	.final
	mov	r10, rsp			; W + K of the current block
	lea	r11, [rsp + BUFSZ]		; W + K of the next one
%assign g 0
%rep 16
	SCHED	0, g, r8, r10
	SCHED	1, g, r9, r10 + 256
%assign g g + 1
%endrep
	dec	rdx
	jz	.last
.loop:
	SHA256_NI_SAVE_STATE 2, rsp + SAVE
%assign g 0
%rep 16
	SHA256_NI_ROUNDS g, r10, 256, 2
	SCHED	0, g, r8 + 64, r11
	SCHED	1, g, r9 + 64, r11 + 256
%assign g g + 1
%endrep
	SHA256_NI_FEED_FORWARD 2, rsp + SAVE
	add	r8, 64
	add	r9, 64
	xchg	r10, r11
	dec	rdx
	jnz	.loop
.last:
	SHA256_NI_BLOCK 2, r10, 256, rsp + SAVE
	SHA256_FINAL
	SHA256_NI_BLOCK 2, rcx, 0, rsp + SAVE
.store:
	SHA256_NI_STORE_STATE 2, rdi, TMP
	SHA256_LEAVE
