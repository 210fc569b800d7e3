; SPDX-License-Identifier: MIT
; SHA-256 of 8 messages at once, one per dword lane of a ymm register, for
; CPUs with AVX2 but neither SHA-NI nor AVX-512.  Sixteen registers hold the
; state and temporaries; the message schedule W[0..63] and, between blocks,
; the state live on the stack.  Lanes are loaded four words at a time: two
; 128-bit loads per register and an in-register 4x4 transpose.

%include "sha256_common.inc"

SHA256_RODATA 2

; Working variables a..h and X in ymm0-ymm8 (sha256_common.inc), plus AB
; and BC; between blocks the state lives in the SAVE area.
%macro CANON 0
	SHA256_CANON ymm
%xdefine AB ymm13		; a ^ b of this round = b ^ c of the next
%xdefine BC ymm14
%endmacro
CANON
%define T0 ymm9
%define T1 ymm10
%define T2 ymm11
%define T3 ymm12
%define T4 ymm15

; Stack frame: W[0..63] (32 bytes each), then the state.
%define WOFF	0
%define SAVE	(64 * 32)
%define FRAME	(64 * 32 + 8 * 32)

; After a round: AB and BC swap names too.
%macro ROTATE 0
	SHA256_ROTATE
%xdefine _T AB
%xdefine AB BC
%xdefine BC _T
%endmacro

; %1 = ror(%2, %5) ^ ror(%2, %6) ^ ror(%2, %7) with shifts, as a balanced
; XOR tree (latency matters more than count); clobbers %3, %4.
%macro SIGMA 7
	vpsrld	%1, %2, %5
	vpslld	%3, %2, 32 - %5
	vpxor	%1, %1, %3
	vpsrld	%3, %2, %6
	vpslld	%4, %2, 32 - %6
	vpxor	%3, %3, %4
	vpxor	%1, %1, %3
	vpsrld	%3, %2, %7
	vpslld	%4, %2, 32 - %7
	vpxor	%3, %3, %4
	vpxor	%1, %1, %3
%endmacro

; %1 += T3 (Ch or Maj, just computed) + S(%2), S with the rotations %3-%5.
%macro ADD_F_S 5
	vpaddd	%1, %1, T3
	SIGMA	T0, %2, T1, T2, %3, %4, %5
	vpaddd	%1, %1, T0
%endmacro

; One round after h += W + K.  Vector ops take 2 cycles on Zen 5, so e's
; chain is kept short: e' = (d + h + K + W + Ch) + S1(e), and
; a' = (e' - d + Maj) + S0(a).
%macro ROUND_BODY 0
	vpaddd	X, D, H				; d + h + K + W
	vpxor	T3, F, G
	vpand	T3, T3, E
	vpxor	T3, T3, G			; Ch(e, f, g)
	ADD_F_S	X, E, 6, 11, 25			; + S1(e): e'
	vpsubd	H, X, D				; T1 = e' - d
	vpxor	AB, A, B
	vpand	T3, AB, BC
	vpxor	T3, T3, B			; Maj(a, b, c)
	ADD_F_S	H, A, 2, 13, 22			; + S0(a): a'
	ROTATE
%endmacro

; Round %1 with W from the stack.
%macro ROUND_W 1
	vpbroadcastd T0, [K256 + 4 * (%1)]
	vpaddd	H, H, [rsp + WOFF + 32 * (%1)]
	vpaddd	H, H, T0
	ROUND_BODY
%endmacro

; Round %1 of the constant block, W + K at [rcx].
%macro ROUND_WK 1
	vpbroadcastd T0, [rcx + 4 * (%1)]
	vpaddd	H, H, T0
	ROUND_BODY
%endmacro

; W[%1 + 16] from the stack copy of W[%1..%1 + 14].
%macro SCHED 1
	vmovdqa	T4, [rsp + WOFF + 32 * ((%1) + 1)]
	vpsrld	T0, T4, 3
	vpsrld	T1, T4, 7
	vpxor	T0, T0, T1
	vpslld	T1, T4, 25
	vpxor	T0, T0, T1
	vpsrld	T1, T4, 18
	vpxor	T0, T0, T1
	vpslld	T1, T4, 14
	vpxor	T0, T0, T1			; s0(W[t-15])
	vmovdqa	T3, [rsp + WOFF + 32 * ((%1) + 14)]
	vpsrld	T2, T3, 10
	vpsrld	T1, T3, 17
	vpxor	T2, T2, T1
	vpslld	T1, T3, 15
	vpxor	T2, T2, T1
	vpsrld	T1, T3, 19
	vpxor	T2, T2, T1
	vpslld	T1, T3, 13
	vpxor	T2, T2, T1			; s1(W[t-2])
	vpaddd	T0, T0, [rsp + WOFF + 32 * (%1)]
	vpaddd	T2, T2, [rsp + WOFF + 32 * ((%1) + 9)]
	vpaddd	T0, T0, T2
	vmovdqa	[rsp + WOFF + 32 * ((%1) + 16)], T0
%endmacro

; W[4c..4c+3] of the 8 lanes at offset rax to the stack: register m holds
; lanes m and m + 4 (one per 128-bit half), then a 4x4 transpose per half.
; The state is in the SAVE area here, so any register is free.
%macro LOAD_WORDS 1
%assign m 0
%rep 4
	mov	r8, [rsi + 8 * m]
	mov	r9, [rsi + 8 * (m + 4)]
	vmovdqu	xmm %+ %eval(m), [r8 + rax + 16 * (%1)]
	vinserti128 ymm %+ %eval(m), ymm %+ %eval(m), [r9 + rax + 16 * (%1)], 1
	vpshufb	ymm %+ %eval(m), ymm %+ %eval(m), [BSWAP]
%assign m m + 1
%endrep
	vpunpckldq ymm4, ymm0, ymm1		; words 0, 1 of lanes 0, 1
	vpunpckhdq ymm5, ymm0, ymm1		; words 2, 3
	vpunpckldq ymm6, ymm2, ymm3
	vpunpckhdq ymm7, ymm2, ymm3
	vpunpcklqdq ymm0, ymm4, ymm6
	vpunpckhqdq ymm1, ymm4, ymm6
	vpunpcklqdq ymm2, ymm5, ymm7
	vpunpckhqdq ymm3, ymm5, ymm7
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 0)], ymm0
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 1)], ymm1
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 2)], ymm2
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 3)], ymm3
%endmacro

%macro LOAD_STATE 0
	CANON
	SHA256_ROWS load, vmovdqa, rsp + SAVE, 32, A, B, C, D, E, F, G, H
	vpxor	BC, B, C
%endmacro

; SAVE += a..h: the feed-forward at the end of a block.
%macro FEED_FORWARD 0
	SHA256_ROWS add, , rsp + SAVE, 32, A, B, C, D, E, F, G, H
	SHA256_ROWS store, vmovdqa, rsp + SAVE, 32, A, B, C, D, E, F, G, H
%endmacro

; void mbv_sha256_x8_avx2(uint32_t st[8][8], const uint8_t *const data[8],
;                         size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, r8, r9, ymm0-ymm15, flags.
MBV_FUNCTION mbv_sha256_x8_avx2
	SHA256_ENTER FRAME
%assign j 0
%rep 8
	vmovdqu	ymm0, [rdi + 32 * j]
	vmovdqa	[rsp + SAVE + 32 * j], ymm0
%assign j j + 1
%endrep
	xor	eax, eax			; byte offset into every lane
	SHA256_BLOCKS
	LOAD_WORDS 0
	LOAD_WORDS 1
	LOAD_WORDS 2
	LOAD_WORDS 3
	LOAD_STATE
	SHA256_ROUNDS ROUND_W, SCHED
	FEED_FORWARD
	SHA256_BLOCKS_END
	LOAD_STATE
	SHA256_ROUNDS ROUND_WK
	FEED_FORWARD
.store:
%assign j 0
%rep 8
	vmovdqa	ymm0, [rsp + SAVE + 32 * j]
	vmovdqu	[rdi + 32 * j], ymm0
%assign j j + 1
%endrep
	vzeroupper
	SHA256_LEAVE
