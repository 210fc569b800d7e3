; SPDX-License-Identifier: MIT
; SHA-512 of 4 messages at once, one per qword lane of a ymm register, for
; CPUs with AVX2 but not AVX-512.  AVX2 has no rotate: a rotation is two
; shifts and an XOR, except s0's rotation by 8, which is a byte shuffle.
; Sixteen registers hold the state and temporaries; the message schedule
; W[0..79] and, between blocks, the state live on the stack.  Lanes are
; loaded two words at a time: two 128-bit halves per register and an
; unpack.

%include "sha512_common.inc"

SHA512_RODATA 2

section .rodata
align 32
; vpshufb mask: every qword rotated right by 8 bits (byte k <- byte k + 1).
ROR8:
%rep 2
	db 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11, 12, 13, 14, 15, 8
%endrep
section .text

; a..h in ymm0-ymm7, plus AB and BC; between blocks the state lives in
; the SAVE area.
%macro CANON 0
	SHA512_CANON ymm
%xdefine AB ymm13		; a ^ b of this round = b ^ c of the next
%xdefine BC ymm14
%endmacro
CANON
%define T0 ymm8
%define T1 ymm9
%define T2 ymm10
%define T3 ymm11
%define T4 ymm12

; Stack frame: W[0..79] (32 bytes each), then the state.
%define WOFF	0
%define SAVE	(80 * 32)
%define FRAME	(80 * 32 + 8 * 32)

; After a round: AB and BC swap names too.
%macro ROTATE 0
	SHA512_ROTATE
%xdefine _T AB
%xdefine AB BC
%xdefine BC _T
%endmacro

; %1 = ror(%2, %5) ^ ror(%2, %6) ^ ror(%2, %7) with shifts, as a balanced
; XOR tree; clobbers %3, %4.
%macro SIGMA 7
	vpsrlq	%1, %2, %5
	vpsllq	%3, %2, 64 - %5
	vpxor	%1, %1, %3
	vpsrlq	%3, %2, %6
	vpsllq	%4, %2, 64 - %6
	vpxor	%3, %3, %4
	vpxor	%1, %1, %3
	vpsrlq	%3, %2, %7
	vpsllq	%4, %2, 64 - %7
	vpxor	%3, %3, %4
	vpxor	%1, %1, %3
%endmacro

; %1 += T3 (Ch or Maj, just computed) + S(%2), S with the rotations %3-%5.
%macro ADD_F_S 5
	vpaddq	%1, %1, T3
	SIGMA	T0, %2, T1, T2, %3, %4, %5
	vpaddq	%1, %1, T0
%endmacro

; One round after h += W + K: T1 = h + Ch + S1(e); e' = d + T1;
; a' = T1 + Maj + S0(a).
%macro ROUND_BODY 0
	vpxor	T3, F, G
	vpand	T3, T3, E
	vpxor	T3, T3, G			; Ch(e, f, g)
	ADD_F_S	H, E, 14, 18, 41		; T1
	vpaddq	D, D, H				; e'
	vpxor	AB, A, B
	vpand	T3, AB, BC
	vpxor	T3, T3, B			; Maj(a, b, c)
	ADD_F_S	H, A, 28, 34, 39		; a'
	ROTATE
%endmacro

; Round %1 with W from the stack.
%macro ROUND_W 1
	vpbroadcastq T0, [K512 + 8 * (%1)]
	vpaddq	H, H, [rsp + WOFF + 32 * (%1)]
	vpaddq	H, H, T0
	ROUND_BODY
%endmacro

; Round %1 of the constant block, W + K at [rcx].
%macro ROUND_WK 1
	vpbroadcastq T0, [rcx + 8 * (%1)]
	vpaddq	H, H, T0
	ROUND_BODY
%endmacro

; W[%1 + 16] from the stack copy of W[%1..%1 + 14].
%macro SCHED 1
	vmovdqa	T4, [rsp + WOFF + 32 * ((%1) + 1)]
	vpsrlq	T0, T4, 1
	vpsllq	T1, T4, 63
	vpxor	T0, T0, T1
	vpshufb	T1, T4, [ROR8]
	vpxor	T0, T0, T1
	vpsrlq	T1, T4, 7
	vpxor	T0, T0, T1			; s0(W[t-15])
	vmovdqa	T3, [rsp + WOFF + 32 * ((%1) + 14)]
	vpsrlq	T2, T3, 6
	vpsrlq	T1, T3, 19
	vpxor	T2, T2, T1
	vpsllq	T1, T3, 45
	vpxor	T2, T2, T1
	vpsrlq	T1, T3, 61
	vpxor	T2, T2, T1
	vpsllq	T1, T3, 3
	vpxor	T2, T2, T1			; s1(W[t-2])
	vpaddq	T0, T0, [rsp + WOFF + 32 * (%1)]
	vpaddq	T2, T2, [rsp + WOFF + 32 * ((%1) + 9)]
	vpaddq	T0, T0, T2
	vmovdqa	[rsp + WOFF + 32 * ((%1) + 16)], T0
%endmacro

; W[2k], W[2k + 1] (k = %1) of the 4 lanes at offset rax to the stack:
; one register holds lanes 0 and 2, the other lanes 1 and 3 (one per
; 128-bit half); an unpack pairs them.  Lane pointers in r8-r11.  The
; state is in the SAVE area here, so any register is free.
%macro LOAD_WORDS 1
	vmovdqu	xmm0, [r8 + rax + 16 * (%1)]
	vinserti128 ymm0, ymm0, [r10 + rax + 16 * (%1)], 1
	vmovdqu	xmm1, [r9 + rax + 16 * (%1)]
	vinserti128 ymm1, ymm1, [r11 + rax + 16 * (%1)], 1
	vpshufb	ymm0, ymm0, [BSWAP64]
	vpshufb	ymm1, ymm1, [BSWAP64]
	vpunpcklqdq ymm2, ymm0, ymm1		; W[2k] of lanes 0, 1, 2, 3
	vpunpckhqdq ymm3, ymm0, ymm1		; W[2k + 1]
	vmovdqa	[rsp + WOFF + 32 * (2 * (%1))], ymm2
	vmovdqa	[rsp + WOFF + 32 * (2 * (%1) + 1)], ymm3
%endmacro

%macro LOAD_STATE 0
	CANON
	SHA512_ROWS load, vmovdqa, rsp + SAVE, 32, A, B, C, D, E, F, G, H
	vpxor	BC, B, C
%endmacro

; SAVE += a..h: the feed-forward at the end of a block.
%macro FEED_FORWARD 0
	SHA512_ROWS add, , rsp + SAVE, 32, A, B, C, D, E, F, G, H
	SHA512_ROWS store, vmovdqa, rsp + SAVE, 32, A, B, C, D, E, F, G, H
%endmacro

; void mbv_sha512_x4_avx2(uint64_t st[8][4], const uint8_t *const data[4],
;                         size_t nblocks, const uint64_t wk[80]);
; Clobbers rax, rdx, r8-r11, ymm0-ymm15, flags.
MBV_FUNCTION mbv_sha512_x4_avx2
	SHA256_ENTER FRAME
%assign j 0
%rep 8
	vmovdqu	ymm0, [rdi + 32 * j]
	vmovdqa	[rsp + SAVE + 32 * j], ymm0
%assign j j + 1
%endrep
	mov	r8, [rsi]
	mov	r9, [rsi + 8]
	mov	r10, [rsi + 16]
	mov	r11, [rsi + 24]
	xor	eax, eax			; byte offset into every lane
	SHA512_BLOCKS
%assign k 0
%rep 8
	LOAD_WORDS k
%assign k k + 1
%endrep
	LOAD_STATE
	SHA512_ROUNDS ROUND_W, SCHED
	FEED_FORWARD
	SHA512_BLOCKS_END
	LOAD_STATE
	SHA512_ROUNDS ROUND_WK
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
