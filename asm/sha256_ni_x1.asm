; SPDX-License-Identifier: MIT
; SHA-256 with the SHA extensions, one message: the latency-bound baseline.

%include "sha256_common.inc"

section .rodata align=64
K256:	SHA256_K_TABLE
BSWAP:	SHA256_BSWAP_MASK 1

section .text

%define MSG	xmm0		; sha256rnds2's implicit operand
%define ABEF	xmm1
%define CDGH	xmm2
%define TMP	xmm7
%define BSWAPX	xmm8
%define SAVE0	xmm9
%define SAVE1	xmm10

; M(i): the four-word message registers, W[4i..4i+3] in group i.
%define M(i)	xmm %+ %eval(3 + ((i) & 3))

; Four rounds of group %1 with W from the M registers, computing
; W[4g..4g+3] first for g >= 4, loading it for g < 4.
%macro GROUP 1
%if %1 < 4
	movdqu	M(%1), [rax + 16 * %1]
	pshufb	M(%1), BSWAPX
%else
	sha256msg1 M(%1), M(%1 + 1)		; W[t-16] + s0(W[t-15])
	movdqa	TMP, M(%1 + 3)
	palignr	TMP, M(%1 + 2), 4		; W[t-7..t-4]
	paddd	M(%1), TMP
	sha256msg2 M(%1), M(%1 + 3)		; + s1(W[t-2])
%endif
	movdqa	MSG, M(%1)
	paddd	MSG, [K256 + 16 * %1]
	sha256rnds2 CDGH, ABEF, MSG
	pshufd	MSG, MSG, 0x0e
	sha256rnds2 ABEF, CDGH, MSG
%endmacro

; Four rounds of group %1 with W + K read from [rcx].
%macro GROUP_WK 1
	movq	MSG, [rcx + 16 * %1]
	sha256rnds2 CDGH, ABEF, MSG
	movq	MSG, [rcx + 16 * %1 + 8]
	sha256rnds2 ABEF, CDGH, MSG
%endmacro

; void mbv_sha256_ni_x1(uint32_t st[8], const uint8_t *const data[1],
;                       size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, xmm0-xmm10, flags.
global mbv_sha256_ni_x1:function hidden
mbv_sha256_ni_x1:
	; h[0..7] -> ABEF / CDGH, the order sha256rnds2 wants
	movdqu	ABEF, [rdi]
	movdqu	CDGH, [rdi + 16]
	pshufd	ABEF, ABEF, 0xb1		; b a d c
	pshufd	CDGH, CDGH, 0x1b		; h g f e
	movdqa	TMP, ABEF
	palignr	ABEF, CDGH, 8			; f e b a
	pblendw	CDGH, TMP, 0xf0			; h g d c
	movdqa	BSWAPX, [BSWAP]
	mov	rax, [rsi]
	test	rdx, rdx
	jz	.final
.loop:
	movdqa	SAVE0, ABEF
	movdqa	SAVE1, CDGH
%assign g 0
%rep 16
	GROUP	g
%assign g g + 1
%endrep
	paddd	ABEF, SAVE0
	paddd	CDGH, SAVE1
	add	rax, 64
	dec	rdx
	jnz	.loop
.final:
	test	rcx, rcx
	jz	.store
	movdqa	SAVE0, ABEF
	movdqa	SAVE1, CDGH
%assign g 0
%rep 16
	GROUP_WK g
%assign g g + 1
%endrep
	paddd	ABEF, SAVE0
	paddd	CDGH, SAVE1
.store:
	pshufd	ABEF, ABEF, 0x1b		; a b e f
	pshufd	CDGH, CDGH, 0xb1		; g h c d
	movdqa	TMP, ABEF
	pblendw	ABEF, CDGH, 0xf0		; a b c d
	palignr	CDGH, TMP, 8			; e f g h
	movdqu	[rdi], ABEF
	movdqu	[rdi + 16], CDGH
	ret
