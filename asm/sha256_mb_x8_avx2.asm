; SPDX-License-Identifier: MIT
; SHA-256 of 8 messages at once, one per dword lane of a ymm register, for
; CPUs with AVX2 but neither SHA-NI nor AVX-512.  Sixteen registers hold the
; state and temporaries; the message schedule W[0..63] lives on the stack.
; Lanes are loaded four words at a time: two 128-bit loads per register and
; an in-register 4x4 transpose.

%include "sha256_common.inc"

section .rodata align=64
BSWAP:	SHA256_BSWAP_MASK 2
K256:	SHA256_K_TABLE

section .text

%xdefine A ymm0
%xdefine B ymm1
%xdefine C ymm2
%xdefine D ymm3
%xdefine E ymm4
%xdefine F ymm5
%xdefine G ymm6
%xdefine H ymm7
%define T0 ymm8
%define T1 ymm9
%define T2 ymm10
%define T3 ymm11
%define T4 ymm12
%define T5 ymm13
%xdefine AB ymm14		; a ^ b of this round = b ^ c of the next
%xdefine BC ymm15

; Stack frame: W[0..63] (32 bytes each), then the saved state.
%define WOFF	0
%define SAVE	(64 * 32)
%define FRAME	(64 * 32 + 8 * 32)

%macro ROTATE 0
%xdefine _T H
%xdefine H G
%xdefine G F
%xdefine F E
%xdefine E D
%xdefine D C
%xdefine C B
%xdefine B A
%xdefine A _T
%xdefine _T AB
%xdefine AB BC
%xdefine BC _T
%endmacro

; %1 = ror(%2, r1) ^ ror(%2, r2) ^ ror(%2, r3) with shifts; clobbers %4.
; Written as three independent rotate pairs so the XOR tree stays shallow.
%macro SIGMA 6
	vpsrld	%1, %2, %4
	vpslld	%3, %2, 32 - %4
	vpxor	%1, %1, %3
	vpsrld	%3, %2, %5
	vpxor	%1, %1, %3
	vpslld	%3, %2, 32 - %5
	vpxor	%1, %1, %3
	vpsrld	%3, %2, %6
	vpxor	%1, %1, %3
	vpslld	%3, %2, 32 - %6
	vpxor	%1, %1, %3
%endmacro

; One round; %1 = the round number, W + K added from memory unless %2 = wk,
; in which case W + K come broadcast from [rcx].
%macro ROUND 1-2
%ifidn %2, wk
	vpbroadcastd T0, [rcx + 4 * (%1)]
	vpaddd	H, H, T0
%else
	vpbroadcastd T0, [K256 + 4 * (%1)]
	vpaddd	H, H, [rsp + WOFF + 32 * (%1)]
	vpaddd	H, H, T0
%endif
	vpxor	T2, F, G
	vpand	T2, T2, E
	vpxor	T2, T2, G			; Ch(e, f, g)
	SIGMA	T0, E, T1, 6, 11, 25		; S1(e)
	vpaddd	H, H, T2
	vpaddd	H, H, T0			; h = T1
	vpaddd	D, D, H				; e' = d + T1
	vpxor	AB, A, B
	vpand	T3, AB, BC
	vpxor	T3, T3, B			; Maj(a, b, c)
	SIGMA	T0, A, T1, 2, 13, 22		; S0(a)
	vpaddd	H, H, T3
	vpaddd	H, H, T0			; a' = T1 + T2
	ROTATE
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
	vmovdqa	T5, [rsp + WOFF + 32 * ((%1) + 14)]
	vpsrld	T2, T5, 10
	vpsrld	T1, T5, 17
	vpxor	T2, T2, T1
	vpslld	T1, T5, 15
	vpxor	T2, T2, T1
	vpsrld	T1, T5, 19
	vpxor	T2, T2, T1
	vpslld	T1, T5, 13
	vpxor	T2, T2, T1			; s1(W[t-2])
	vpaddd	T0, T0, [rsp + WOFF + 32 * (%1)]
	vpaddd	T2, T2, [rsp + WOFF + 32 * ((%1) + 9)]
	vpaddd	T0, T0, T2
	vmovdqa	[rsp + WOFF + 32 * ((%1) + 16)], T0
%endmacro

; W[4c..4c+3] of the 8 lanes at offset rax to the stack: register m holds
; lanes m and m + 4 (one per 128-bit half), then a 4x4 transpose per half.
%macro LOAD_WORDS 1
%assign m 0
%rep 4
	mov	r8, [rsi + 8 * m]
	mov	r9, [rsi + 8 * (m + 4)]
	vmovdqu	xmm %+ %eval(8 + m), [r8 + rax + 16 * (%1)]
	vinserti128 ymm %+ %eval(8 + m), ymm %+ %eval(8 + m), [r9 + rax + 16 * (%1)], 1
	vpshufb	ymm %+ %eval(8 + m), ymm %+ %eval(8 + m), [BSWAP]
%assign m m + 1
%endrep
	vpunpckldq T4, T0, T1			; words 0, 1 of lanes 0, 1
	vpunpckhdq T5, T0, T1			; words 2, 3
	vpunpckldq T0, T2, T3
	vpunpckhdq T1, T2, T3
	vpunpcklqdq T2, T4, T0
	vpunpckhqdq T3, T4, T0
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 0)], T2
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 1)], T3
	vpunpcklqdq T2, T5, T1
	vpunpckhqdq T3, T5, T1
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 2)], T2
	vmovdqa	[rsp + WOFF + 32 * (4 * (%1) + 3)], T3
%endmacro

%macro SAVE_STATE 0
	vmovdqa	[rsp + SAVE + 0 * 32], A
	vmovdqa	[rsp + SAVE + 1 * 32], B
	vmovdqa	[rsp + SAVE + 2 * 32], C
	vmovdqa	[rsp + SAVE + 3 * 32], D
	vmovdqa	[rsp + SAVE + 4 * 32], E
	vmovdqa	[rsp + SAVE + 5 * 32], F
	vmovdqa	[rsp + SAVE + 6 * 32], G
	vmovdqa	[rsp + SAVE + 7 * 32], H
	vpxor	BC, B, C
%endmacro

%macro FEED_FORWARD 0
	vpaddd	A, A, [rsp + SAVE + 0 * 32]
	vpaddd	B, B, [rsp + SAVE + 1 * 32]
	vpaddd	C, C, [rsp + SAVE + 2 * 32]
	vpaddd	D, D, [rsp + SAVE + 3 * 32]
	vpaddd	E, E, [rsp + SAVE + 4 * 32]
	vpaddd	F, F, [rsp + SAVE + 5 * 32]
	vpaddd	G, G, [rsp + SAVE + 6 * 32]
	vpaddd	H, H, [rsp + SAVE + 7 * 32]
%endmacro

; void mbv_sha256_x8_avx2(uint32_t st[8][8], const uint8_t *const data[8],
;                         size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, r8, r9, ymm0-ymm15, flags.
global mbv_sha256_x8_avx2:function hidden
mbv_sha256_x8_avx2:
	push	rbp
	mov	rbp, rsp
	sub	rsp, FRAME
	and	rsp, -64
	vmovdqu	A, [rdi + 0 * 32]
	vmovdqu	B, [rdi + 1 * 32]
	vmovdqu	C, [rdi + 2 * 32]
	vmovdqu	D, [rdi + 3 * 32]
	vmovdqu	E, [rdi + 4 * 32]
	vmovdqu	F, [rdi + 5 * 32]
	vmovdqu	G, [rdi + 6 * 32]
	vmovdqu	H, [rdi + 7 * 32]
	xor	eax, eax			; byte offset into every lane
	test	rdx, rdx
	jz	.final
.loop:
	LOAD_WORDS 0
	LOAD_WORDS 1
	LOAD_WORDS 2
	LOAD_WORDS 3
	SAVE_STATE
%assign t 0
%rep 64
	ROUND	t
%if t < 48
	SCHED	t
%endif
%assign t t + 1
%endrep
	FEED_FORWARD
	add	rax, 64
	dec	rdx
	jnz	.loop
.final:
	test	rcx, rcx
	jz	.store
	SAVE_STATE
%assign t 0
%rep 64
	ROUND	t, wk
%assign t t + 1
%endrep
	FEED_FORWARD
.store:
	vmovdqu	[rdi + 0 * 32], A
	vmovdqu	[rdi + 1 * 32], B
	vmovdqu	[rdi + 2 * 32], C
	vmovdqu	[rdi + 3 * 32], D
	vmovdqu	[rdi + 4 * 32], E
	vmovdqu	[rdi + 5 * 32], F
	vmovdqu	[rdi + 6 * 32], G
	vmovdqu	[rdi + 7 * 32], H
	vzeroupper
	mov	rsp, rbp
	pop	rbp
	ret
