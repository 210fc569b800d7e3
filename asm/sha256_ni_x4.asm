; SPDX-License-Identifier: MIT
; SHA-256 with the SHA extensions, four messages interleaved instruction by
; instruction.  sha256rnds2 has a latency of 4 cycles and issues every 2:
; four streams leave slack where two only just fill the unit.  The message
; schedule (W + K) of the next block is computed during the rounds of this
; one, from W on the stack (sixteen xmm registers hold no more), so the
; rounds only load W + K.

%include "sha256_common.inc"

SHA256_RODATA 1

; The state of stream s is in ABEF(s) / CDGH(s) (xmm1-xmm8,
; sha256_common.inc).
%define TMP	xmm9
%define TMP2	xmm10
%define BSWAPX	xmm11

; Stack frame: W of the block being scheduled (256 bytes per stream), two
; W + K buffers (1 KiB each: stream s at +256 s), the saved state.
%define WOFF(s)	(256 * (s))
%define WK0	1024
%define WK1	2048
%define SAVE	3072
%define FRAME	(3072 + 128)

; W(s, i): W[4i..4i+3] of stream s, on the stack.
%define W(s, i)	[rsp + WOFF(s) + 16 * (i)]

; W + K of group %2 of stream %1's block at [%3], into the buffer at [%4].
%macro SCHED 4
%if %2 < 4
	movdqu	TMP, [%3 + 16 * %2]
	pshufb	TMP, BSWAPX
%else
	movdqa	TMP, W(%1, %2 - 4)
	SHA256_NI_SCHED TMP, W(%1, %2 - 3), W(%1, %2 - 2), W(%1, %2 - 1), TMP2
%endif
	movdqa	W(%1, %2), TMP
	paddd	TMP, [K256 + 16 * %2]
	movdqa	[%4 + 256 * %1 + 16 * %2], TMP
%endmacro

; void mbv_sha256_ni_x4(uint32_t st[4][8], const uint8_t *const data[4],
;                       size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, rsi, r8-r11, xmm0-xmm11, flags.
MBV_FUNCTION mbv_sha256_ni_x4
	SHA256_ENTER FRAME
	movdqa	BSWAPX, [BSWAP]
	SHA256_NI_LOAD_STATE 4, rdi, TMP
	mov	r8, [rsi]
	mov	r9, [rsi + 8]
	mov	r10, [rsi + 16]
	mov	r11, [rsi + 24]
	test	rdx, rdx
	jz	.final
	lea	rax, [rsp + WK0]		; W + K of the current block
	lea	rsi, [rsp + WK1]		; W + K of the next one
%assign g 0
%rep 16
	SCHED	0, g, r8, rax
	SCHED	1, g, r9, rax
	SCHED	2, g, r10, rax
	SCHED	3, g, r11, rax
%assign g g + 1
%endrep
	dec	rdx
	jz	.last
.loop:
	SHA256_NI_SAVE_STATE 4, rsp + SAVE
%assign g 0
%rep 16
	SHA256_NI_ROUNDS g, rax, 256, 4
	SCHED	0, g, r8 + 64, rsi
	SCHED	1, g, r9 + 64, rsi
	SCHED	2, g, r10 + 64, rsi
	SCHED	3, g, r11 + 64, rsi
%assign g g + 1
%endrep
	SHA256_NI_FEED_FORWARD 4, rsp + SAVE
	add	r8, 64
	add	r9, 64
	add	r10, 64
	add	r11, 64
	xchg	rax, rsi
	dec	rdx
	jnz	.loop
.last:
	SHA256_NI_BLOCK 4, rax, 256, rsp + SAVE
	SHA256_FINAL
	SHA256_NI_BLOCK 4, rcx, 0, rsp + SAVE
.store:
	SHA256_NI_STORE_STATE 4, rdi, TMP
	SHA256_LEAVE
