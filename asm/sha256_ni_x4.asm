; SPDX-License-Identifier: MIT
; SHA-256 with the SHA extensions, four messages interleaved instruction by
; instruction.  sha256rnds2 has a latency of 4 cycles and issues every 2:
; four streams leave slack where two only just fill the unit.  The message
; schedule (W + K) of the next block is computed during the rounds of this
; one, from W on the stack (sixteen xmm registers hold no more), so the
; rounds only load W + K.

%include "sha256_common.inc"

section .rodata align=64
K256:	SHA256_K_TABLE
BSWAP:	SHA256_BSWAP_MASK 1

section .text

%define MSG	xmm0		; sha256rnds2's implicit operand
%define TMP	xmm9
%define TMP2	xmm10
%define BSWAPX	xmm11

; ABEF(s) / CDGH(s): the state of stream s in xmm1-xmm8.
%define ABEF(s)	xmm %+ %eval(1 + 2 * (s))
%define CDGH(s)	xmm %+ %eval(2 + 2 * (s))

; Stack frame: W of the block being scheduled (256 bytes per stream), two
; W + K buffers (1 KiB each: stream s at +256 s), the saved state.
%define WOFF(s)	(256 * (s))
%define WK0	1024
%define WK1	2048
%define SAVE	3072
%define FRAME	(3072 + 128)

; W + K of group %2 of stream %1's block at [%3], into the buffer at [%4].
%macro SCHED 4
%if %2 < 4
	movdqu	TMP, [%3 + 16 * %2]
	pshufb	TMP, BSWAPX
%else
	movdqa	TMP, [rsp + WOFF(%1) + 16 * (%2 - 4)]
	sha256msg1 TMP, [rsp + WOFF(%1) + 16 * (%2 - 3)]	; W[t-16] + s0(W[t-15])
	movdqa	TMP2, [rsp + WOFF(%1) + 16 * (%2 - 1)]
	palignr	TMP2, [rsp + WOFF(%1) + 16 * (%2 - 2)], 4	; W[t-7..t-4]
	paddd	TMP, TMP2
	sha256msg2 TMP, [rsp + WOFF(%1) + 16 * (%2 - 1)]	; + s1(W[t-2])
%endif
	movdqa	[rsp + WOFF(%1) + 16 * %2], TMP
	paddd	TMP, [K256 + 16 * %2]
	movdqa	[%4 + 256 * %1 + 16 * %2], TMP
%endmacro

; Rounds 4g..4g+3 (g = %1) of the four streams, W + K of stream s at
; [%2 + %3 * s].
%macro ROUNDS 3
%assign s 0
%rep 4
	movq	MSG, [%2 + %3 * s + 16 * %1]
	sha256rnds2 CDGH(s), ABEF(s), MSG
%assign s s + 1
%endrep
%assign s 0
%rep 4
	movq	MSG, [%2 + %3 * s + 16 * %1 + 8]
	sha256rnds2 ABEF(s), CDGH(s), MSG
%assign s s + 1
%endrep
%endmacro

%macro SAVE_STATE 0
%assign s 0
%rep 4
	movdqa	[rsp + SAVE + 32 * s], ABEF(s)
	movdqa	[rsp + SAVE + 32 * s + 16], CDGH(s)
%assign s s + 1
%endrep
%endmacro

%macro FEED_FORWARD 0
%assign s 0
%rep 4
	paddd	ABEF(s), [rsp + SAVE + 32 * s]
	paddd	CDGH(s), [rsp + SAVE + 32 * s + 16]
%assign s s + 1
%endrep
%endmacro

; All 64 rounds with W + K at [%1 + %2 * s]; the feed-forward around them.
%macro BLOCK 2
	SAVE_STATE
%assign g 0
%rep 16
	ROUNDS	g, %1, %2
%assign g g + 1
%endrep
	FEED_FORWARD
%endmacro

; h[0..7] at [%3] -> ABEF in %1, CDGH in %2
%macro LOAD_STATE 3
	movdqu	%1, [%3]
	movdqu	%2, [%3 + 16]
	pshufd	%1, %1, 0xb1			; b a d c
	pshufd	%2, %2, 0x1b			; h g f e
	movdqa	TMP, %1
	palignr	%1, %2, 8			; f e b a
	pblendw	%2, TMP, 0xf0			; h g d c
%endmacro

%macro STORE_STATE 3
	pshufd	%1, %1, 0x1b			; a b e f
	pshufd	%2, %2, 0xb1			; g h c d
	movdqa	TMP, %1
	pblendw	%1, %2, 0xf0			; a b c d
	palignr	%2, TMP, 8			; e f g h
	movdqu	[%3], %1
	movdqu	[%3 + 16], %2
%endmacro

; void mbv_sha256_ni_x4(uint32_t st[4][8], const uint8_t *const data[4],
;                       size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, rsi, r8-r11, xmm0-xmm11, flags.
global mbv_sha256_ni_x4:function hidden
mbv_sha256_ni_x4:
	push	rbp
	mov	rbp, rsp
	sub	rsp, FRAME
	and	rsp, -64
	movdqa	BSWAPX, [BSWAP]
%assign s 0
%rep 4
	LOAD_STATE ABEF(s), CDGH(s), rdi + 32 * s
%assign s s + 1
%endrep
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
	SAVE_STATE
%assign g 0
%rep 16
	ROUNDS	g, rax, 256
	SCHED	0, g, r8 + 64, rsi
	SCHED	1, g, r9 + 64, rsi
	SCHED	2, g, r10 + 64, rsi
	SCHED	3, g, r11 + 64, rsi
%assign g g + 1
%endrep
	FEED_FORWARD
	add	r8, 64
	add	r9, 64
	add	r10, 64
	add	r11, 64
	xchg	rax, rsi
	dec	rdx
	jnz	.loop
.last:
	BLOCK	rax, 256
.final:
	test	rcx, rcx
	jz	.store
	BLOCK	rcx, 0
.store:
%assign s 0
%rep 4
	STORE_STATE ABEF(s), CDGH(s), rdi + 32 * s
%assign s s + 1
%endrep
	mov	rsp, rbp
	pop	rbp
	ret
