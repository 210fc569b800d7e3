; SPDX-License-Identifier: MIT
; SHA-256 with the SHA extensions, two messages interleaved instruction by
; instruction.  One stream alone waits on sha256rnds2's latency; two keep the
; SHA unit busy.  The message schedule (W + K) of the next block is computed
; while the rounds of this block run, so the rounds only load from memory.

%include "sha256_common.inc"

section .rodata align=64
K256:	SHA256_K_TABLE
BSWAP:	SHA256_BSWAP_MASK 1

section .text

%define MSG	xmm0		; sha256rnds2's implicit operand
%define SA0	xmm1		; stream A: ABEF
%define SA1	xmm2		; stream A: CDGH
%define SB0	xmm3
%define SB1	xmm4
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
	sha256msg1 M(%1, %2), M(%1, %2 + 1)	; W[t-16] + s0(W[t-15])
	movdqa	TMP, M(%1, %2 + 3)
	palignr	TMP, M(%1, %2 + 2), 4		; W[t-7..t-4]
	paddd	M(%1, %2), TMP
	sha256msg2 M(%1, %2), M(%1, %2 + 3)	; + s1(W[t-2])
%endif
	movdqa	TMP, M(%1, %2)
	paddd	TMP, [K256 + 16 * %2]
	movdqa	[%4 + 16 * %2], TMP
%endmacro

; Rounds 4g..4g+3 of both streams, W + K of A at [%2], of B at [%3].
%macro ROUNDS 3
	movq	MSG, [%2 + 16 * %1]
	sha256rnds2 SA1, SA0, MSG
	movq	MSG, [%3 + 16 * %1]
	sha256rnds2 SB1, SB0, MSG
	movq	MSG, [%2 + 16 * %1 + 8]
	sha256rnds2 SA0, SA1, MSG
	movq	MSG, [%3 + 16 * %1 + 8]
	sha256rnds2 SB0, SB1, MSG
%endmacro

%macro ROUNDS_ALL 2
	movdqa	[rsp + SAVE], SA0
	movdqa	[rsp + SAVE + 16], SA1
	movdqa	[rsp + SAVE + 32], SB0
	movdqa	[rsp + SAVE + 48], SB1
%assign g 0
%rep 16
	ROUNDS	g, %1, %2
%assign g g + 1
%endrep
	paddd	SA0, [rsp + SAVE]
	paddd	SA1, [rsp + SAVE + 16]
	paddd	SB0, [rsp + SAVE + 32]
	paddd	SB1, [rsp + SAVE + 48]
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

; void mbv_sha256_ni_x2(uint32_t st[2][8], const uint8_t *const data[2],
;                       size_t nblocks, const uint32_t wk[64]);
; Clobbers rdx, r8-r11, xmm0-xmm15, flags.
global mbv_sha256_ni_x2:function hidden
mbv_sha256_ni_x2:
	push	rbp
	mov	rbp, rsp
	sub	rsp, FRAME
	and	rsp, -64
	movdqa	BSWAPX, [BSWAP]
	LOAD_STATE SA0, SA1, rdi
	LOAD_STATE SB0, SB1, rdi + 32
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
	movdqa	[rsp + SAVE], SA0
	movdqa	[rsp + SAVE + 16], SA1
	movdqa	[rsp + SAVE + 32], SB0
	movdqa	[rsp + SAVE + 48], SB1
%assign g 0
%rep 16
	ROUNDS	g, r10, r10 + 256
	SCHED	0, g, r8 + 64, r11
	SCHED	1, g, r9 + 64, r11 + 256
%assign g g + 1
%endrep
	paddd	SA0, [rsp + SAVE]
	paddd	SA1, [rsp + SAVE + 16]
	paddd	SB0, [rsp + SAVE + 32]
	paddd	SB1, [rsp + SAVE + 48]
	add	r8, 64
	add	r9, 64
	xchg	r10, r11
	dec	rdx
	jnz	.loop
.last:
	ROUNDS_ALL r10, r10 + 256
.final:
	test	rcx, rcx
	jz	.store
	ROUNDS_ALL rcx, rcx
.store:
	STORE_STATE SA0, SA1, rdi
	STORE_STATE SB0, SB1, rdi + 32
	mov	rsp, rbp
	pop	rbp
	ret
