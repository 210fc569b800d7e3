; SPDX-License-Identifier: MIT
; SHA-256 of 16 messages at once, one per dword lane of a zmm register.
; Lanes are loaded with an in-register 16x16 transpose (no gathers); the
; message schedule lives in a ring of 16 zmm registers; vprord does the
; rotations and vpternlogd the 3-input XORs, Ch and Maj.  The constant
; padding block needs no schedule: its W + K come broadcast from memory.

%include "sha256_common.inc"

section .rodata align=64
BSWAP:	SHA256_BSWAP_MASK 4
K256:	SHA256_K_TABLE

section .text

; Bytes ahead of the current block to prefetch in every lane: sixteen
; streams are more than the hardware prefetchers follow well.
%ifndef PREFETCH
%define PREFETCH 512
%endif

; Working variables a..h plus X, where e' is built; the names rotate each
; round, not the data.  CANON binds them to zmm0-zmm8 at block boundaries.
%macro CANON 0
%xdefine A zmm0
%xdefine B zmm1
%xdefine C zmm2
%xdefine D zmm3
%xdefine E zmm4
%xdefine F zmm5
%xdefine G zmm6
%xdefine H zmm7
%xdefine X zmm8
%endmacro
CANON
; zmm9-zmm25: sixteen message rows plus one free register for the
; transpose, which renames rather than moves; the W ring names W0..W15 are
; bound to whatever registers the transpose leaves the words in.
%define T0 zmm26		; round temporaries
%define T1 zmm27
%define T2 zmm28
%define S0 zmm29		; schedule temporaries
%define S1 zmm30
%define S2 zmm31

; After a round: a' is in H, e' in X, and d's register is free.
%macro ROTATE 0
%xdefine _T H
%xdefine _F D
%xdefine H G
%xdefine G F
%xdefine F E
%xdefine E X
%xdefine D C
%xdefine C B
%xdefine B A
%xdefine A _T
%xdefine X _F
%endmacro

; The part of a round after h += W + K.  Vector ops take 2 cycles on Zen 5,
; so the e chain is kept to rotate, ternlog, add: e' = (d + h + K + W +
; Ch) + S1(e); a' = (e' - d + Maj) + S0(a).  Register copies are free.
%macro ROUND_BODY 0
	vpaddd	X, D, H				; d + h + K + W
	vmovdqa32 T1, E
	vpternlogd T1, F, G, 0xca		; Ch(e, f, g)
	vprord	T0, E, 6
	vprord	T2, E, 11
	vpaddd	X, X, T1
	vprord	T1, E, 25
	vpternlogd T0, T1, T2, 0x96		; S1(e)
	vpaddd	X, X, T0			; e'
	vpsubd	H, X, D				; T1 = e' - d
	vmovdqa32 T1, A
	vpternlogd T1, B, C, 0xe8		; Maj(a, b, c)
	vprord	T0, A, 2
	vprord	T2, A, 13
	vpaddd	H, H, T1
	vprord	T1, A, 22
	vpternlogd T0, T1, T2, 0x96		; S0(a)
	vpaddd	H, H, T0			; a'
	ROTATE
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

; Two-input shuffle pair: %1 lo-op, %2 hi-op, %3/%4 inputs, %5/%6 their
; immediates (if any); results in _LO (the free register) and _HI (= %4),
; and %3 becomes the free register.
%macro PAIR 4-6
%ifidn %5,
	%1	FREE, %3, %4
	%2	%4, %3, %4
%else
	%1	FREE, %3, %4, %5
	%2	%4, %3, %4, %6
%endif
%xdefine _LO FREE
%xdefine _HI %4
%xdefine FREE %3
%endmacro

; Load block rax of the 16 lanes into W0..W15, W[j] of lane i in dword i.
%macro LOAD_TRANSPOSE 0
%assign i 0
%rep 16
%xdefine R%[i] zmm %+ %eval(9 + i)
%assign i i + 1
%endrep
%xdefine FREE zmm25
%assign i 0
%rep 16
	mov	r8, [rsi + 8 * i]
	vmovdqu32 R%[i], [r8 + rax]
	prefetcht0 [r8 + rax + PREFETCH]
	vpshufb	R%[i], R%[i], [BSWAP]
%assign i i + 1
%endrep
	; dwords: L/H(k) = rows 2k, 2k+1 interleaved (words 4q, 4q+1 / 4q+2, 4q+3)
%assign k 0
%rep 8
%assign i0 2 * k
%assign i1 2 * k + 1
	PAIR	vpunpckldq, vpunpckhdq, R%[i0], R%[i1]
%xdefine L%[k] _LO
%xdefine H%[k] _HI
%assign k k + 1
%endrep
	; qwords: Q(m, r) holds, in 128-bit lane q, word 4q + r of lanes 4m..4m+3
%assign m 0
%rep 4
%assign j0 2 * m
%assign j1 2 * m + 1
	PAIR	vpunpcklqdq, vpunpckhqdq, L%[j0], L%[j1]
%xdefine Q%[m]_0 _LO
%xdefine Q%[m]_1 _HI
	PAIR	vpunpcklqdq, vpunpckhqdq, H%[j0], H%[j1]
%xdefine Q%[m]_2 _LO
%xdefine Q%[m]_3 _HI
%assign m m + 1
%endrep
	; 128-bit blocks: a 4x4 transpose of Q(0..3, r) gives W[r], W[4+r], ...
%assign r 0
%rep 4
	PAIR	vshufi32x4, vshufi32x4, Q0_%[r], Q1_%[r], 0x44, 0xee
%xdefine X0 _LO
%xdefine X1 _HI
	PAIR	vshufi32x4, vshufi32x4, Q2_%[r], Q3_%[r], 0x44, 0xee
%xdefine X2 _LO
%xdefine X3 _HI
	PAIR	vshufi32x4, vshufi32x4, X0, X2, 0x88, 0xdd
%xdefine W%[r] _LO
%assign j r + 4
%xdefine W%[j] _HI
	PAIR	vshufi32x4, vshufi32x4, X1, X3, 0x88, 0xdd
%assign j r + 8
%xdefine W%[j] _LO
%assign j r + 12
%xdefine W%[j] _HI
%assign r r + 1
%endrep
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
	CANON
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
global mbv_sha256_x16_avx512:function hidden
mbv_sha256_x16_avx512:
	push	rbp
	mov	rbp, rsp
	sub	rsp, 8 * 64
	and	rsp, -64
	vmovdqu32 A, [rdi + 0 * 64]
	vmovdqu32 B, [rdi + 1 * 64]
	vmovdqu32 C, [rdi + 2 * 64]
	vmovdqu32 D, [rdi + 3 * 64]
	vmovdqu32 E, [rdi + 4 * 64]
	vmovdqu32 F, [rdi + 5 * 64]
	vmovdqu32 G, [rdi + 6 * 64]
	vmovdqu32 H, [rdi + 7 * 64]
	xor	eax, eax			; byte offset into every lane
	test	rdx, rdx
	jz	.final
.loop:
	vmovdqa32 [rsp + 0 * 64], A
	vmovdqa32 [rsp + 1 * 64], B
	vmovdqa32 [rsp + 2 * 64], C
	vmovdqa32 [rsp + 3 * 64], D
	vmovdqa32 [rsp + 4 * 64], E
	vmovdqa32 [rsp + 5 * 64], F
	vmovdqa32 [rsp + 6 * 64], G
	vmovdqa32 [rsp + 7 * 64], H
	LOAD_TRANSPOSE
%assign t 0
%rep 64
	ROUND_W	t
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
	vmovdqa32 [rsp + 0 * 64], A
	vmovdqa32 [rsp + 1 * 64], B
	vmovdqa32 [rsp + 2 * 64], C
	vmovdqa32 [rsp + 3 * 64], D
	vmovdqa32 [rsp + 4 * 64], E
	vmovdqa32 [rsp + 5 * 64], F
	vmovdqa32 [rsp + 6 * 64], G
	vmovdqa32 [rsp + 7 * 64], H
%assign t 0
%rep 64
	ROUND_WK t
%assign t t + 1
%endrep
	FEED_FORWARD
.store:
	vmovdqu32 [rdi + 0 * 64], A
	vmovdqu32 [rdi + 1 * 64], B
	vmovdqu32 [rdi + 2 * 64], C
	vmovdqu32 [rdi + 3 * 64], D
	vmovdqu32 [rdi + 4 * 64], E
	vmovdqu32 [rdi + 5 * 64], F
	vmovdqu32 [rdi + 6 * 64], G
	vmovdqu32 [rdi + 7 * 64], H
	vzeroupper
	mov	rsp, rbp
	pop	rbp
	ret
