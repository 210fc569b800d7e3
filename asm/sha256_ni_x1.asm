; SPDX-License-Identifier: MIT
; SHA-256 with the SHA extensions, one message: the latency-bound baseline.

%include "sha256_common.inc"

SHA256_RODATA 1

; The state is ABEF(0) / CDGH(0) (sha256_common.inc), saved in registers.
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
	SHA256_NI_SCHED M(%1), M(%1 + 1), M(%1 + 2), M(%1 + 3), TMP
%endif
	movdqa	MSG, M(%1)
	paddd	MSG, [K256 + 16 * %1]
	sha256rnds2 CDGH(0), ABEF(0), MSG
	pshufd	MSG, MSG, 0x0e
	sha256rnds2 ABEF(0), CDGH(0), MSG
%endmacro

; Four rounds of group %1 with W + K read from [rcx].
%macro GROUP_WK 1
	SHA256_NI_ROUNDS %1, rcx, 0, 1
%endmacro

; All 64 rounds, "%1 g" for each group g; the feed-forward around them.
%macro BLOCK 1
	movdqa	SAVE0, ABEF(0)
	movdqa	SAVE1, CDGH(0)
%assign g 0
%rep 16
	%1	g
%assign g g + 1
%endrep
	paddd	ABEF(0), SAVE0
	paddd	CDGH(0), SAVE1
%endmacro

; void mbv_sha256_ni_x1(uint32_t st[8], const uint8_t *const data[1],
;                       size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, xmm0-xmm10, flags.
MBV_FUNCTION mbv_sha256_ni_x1
	SHA256_NI_LOAD_STATE 1, rdi, TMP
	movdqa	BSWAPX, [BSWAP]
	mov	rax, [rsi]
	SHA256_BLOCKS
	BLOCK	GROUP
	SHA256_BLOCKS_END
	BLOCK	GROUP_WK
.store:
	SHA256_NI_STORE_STATE 1, rdi, TMP
	ret
