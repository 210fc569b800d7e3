; SPDX-License-Identifier: MIT
; SHA-256 of 32 messages at once: two independent groups of 16 lanes (one
; per dword of a zmm register), interleaved round by round.  One group alone
; is bound by the latency of its rounds (each vector op takes 2 cycles on
; Zen 5); two keep the pipes busy.  With 16 registers of state, the message
; schedule lives on the stack (the two newest words of each group also stay
; in registers), and so does the state between blocks, which frees the
; registers for an in-register 16x16 transpose of each group's lanes (no
; gathers).

%include "sha256_common.inc"

section .rodata align=64
BSWAP:	SHA256_BSWAP_MASK 4
K256:	SHA256_K_TABLE

section .text

; Bytes ahead of the current block to prefetch in every lane.
%ifndef PREFETCH
%define PREFETCH 512
%endif

; Stack frame: W[t] of group g at WOFF(g, t) (the groups side by side, so
; that the two arrays do not alias modulo 4 KiB), then the state.
%define WOFF(g, t)	(128 * (t) + 64 * (g))
%define SAVE(g)		(2 * 64 * 64 + (g) * 8 * 64)
%define FRAME		(2 * 64 * 64 + 2 * 8 * 64)

; Working variables a..h of group %1; the names rotate each round, not the
; data, and are back in place after 64 rounds.
%macro CANON 1
%assign _r 8 * (%1)
%xdefine A%1 zmm %+ _r
%assign _r _r + 1
%xdefine B%1 zmm %+ _r
%assign _r _r + 1
%xdefine C%1 zmm %+ _r
%assign _r _r + 1
%xdefine D%1 zmm %+ _r
%assign _r _r + 1
%xdefine E%1 zmm %+ _r
%assign _r _r + 1
%xdefine F%1 zmm %+ _r
%assign _r _r + 1
%xdefine G%1 zmm %+ _r
%assign _r _r + 1
%xdefine H%1 zmm %+ _r
%endmacro
CANON 0				; zmm0-zmm7
CANON 1				; zmm8-zmm15
; Temporaries, shared by the groups (register renaming keeps them apart):
; T0-T2 in rounds, S0-S3 in the schedule.  Q%1a/Q%1b hold group %1's two
; newest schedule words, so s1(W[t-2]) does not wait for a store to forward.
%define T(g, i)	zmm %+ %eval(16 + (i))
%define S(g, i)	zmm %+ %eval(19 + (i))
%macro QCANON 0
%xdefine Q0a zmm23
%xdefine Q0b zmm24
%xdefine Q1a zmm25
%xdefine Q1b zmm26
%endmacro
QCANON

; After a round: a' is in H, e' in D.
%macro ROTATE 1
%xdefine _T H%1
%xdefine H%1 G%1
%xdefine G%1 F%1
%xdefine F%1 E%1
%xdefine E%1 D%1
%xdefine D%1 C%1
%xdefine C%1 B%1
%xdefine B%1 A%1
%xdefine A%1 _T
%endmacro

; Round of group %1 after h += W + K.  The plain form (fewest ops): with
; two groups in flight the pipes, not the latency, are the limit.
%macro ROUND_BODY 1
	vmovdqa32 T(%1, 1), E%1
	vpternlogd T(%1, 1), F%1, G%1, 0xca	; Ch(e, f, g)
	vprord	T(%1, 0), E%1, 6
	vprord	T(%1, 2), E%1, 11
	vpaddd	H%1, H%1, T(%1, 1)
	vprord	T(%1, 1), E%1, 25
	vpternlogd T(%1, 0), T(%1, 1), T(%1, 2), 0x96	; S1(e)
	vpaddd	H%1, H%1, T(%1, 0)		; T1
	vpaddd	D%1, D%1, H%1			; e'
	vmovdqa32 T(%1, 1), A%1
	vpternlogd T(%1, 1), B%1, C%1, 0xe8	; Maj(a, b, c)
	vprord	T(%1, 0), A%1, 2
	vprord	T(%1, 2), A%1, 13
	vpaddd	H%1, H%1, T(%1, 1)
	vprord	T(%1, 1), A%1, 22
	vpternlogd T(%1, 0), T(%1, 1), T(%1, 2), 0x96	; S0(a)
	vpaddd	H%1, H%1, T(%1, 0)		; a'
	ROTATE	%1
%endmacro

; Round %2 of group %1, W from the stack.
%macro ROUND_W 2
	vpaddd	H%1, H%1, [K256 + 4 * (%2)]{1to16}
	vpaddd	H%1, H%1, [rsp + WOFF(%1, (%2))]
	ROUND_BODY %1
%endmacro

; Round %2 of group %1 of the constant block, W + K at [rcx].
%macro ROUND_WK 2
	vpaddd	H%1, H%1, [rcx + 4 * (%2)]{1to16}
	ROUND_BODY %1
%endmacro

; W[%2 + 16] of group %1 into Q%1a (which held W[%2 + 14]); then Q%1a and
; Q%1b swap names.
%macro SCHED 2
	vmovdqa32 S(%1, 0), [rsp + WOFF(%1, ((%2) + 1))]
	vprord	S(%1, 1), S(%1, 0), 7
	vprord	S(%1, 2), S(%1, 0), 18
	vpsrld	S(%1, 3), S(%1, 0), 3
	vpternlogd S(%1, 1), S(%1, 2), S(%1, 3), 0x96	; s0(W[t-15])
	vpaddd	S(%1, 1), S(%1, 1), [rsp + WOFF(%1, (%2))]
	vpaddd	S(%1, 1), S(%1, 1), [rsp + WOFF(%1, ((%2) + 9))]
	vprord	S(%1, 2), Q%1a, 17
	vprord	S(%1, 3), Q%1a, 19
	vpsrld	S(%1, 0), Q%1a, 10
	vpternlogd S(%1, 0), S(%1, 2), S(%1, 3), 0x96	; s1(W[t-2])
	vpaddd	Q%1a, S(%1, 1), S(%1, 0)
	vmovdqa32 [rsp + WOFF(%1, ((%2) + 16))], Q%1a
%xdefine _T Q%1a
%xdefine Q%1a Q%1b
%xdefine Q%1b _T
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

; W[0..15] of the block at offset rax of group %1's lanes to the stack.
; Each lane is read with one 64-byte load: sixteen lanes 4 KiB apart share
; an L1 set, so a line must not be needed twice.  The state registers are
; free here (the state is in the SAVE area); the transpose renames rather
; than moves, using zmm0-zmm16.
%macro LOAD_TRANSPOSE 1
%assign i 0
%rep 16
%xdefine R%[i] zmm %+ i
%assign i i + 1
%endrep
%xdefine FREE zmm16
%assign i 0
%rep 16
	mov	r8, [rsi + 8 * (16 * (%1) + i)]
	vmovdqu32 R%[i], [r8 + rax]
	prefetcht0 [r8 + rax + PREFETCH]
	vpshufb	R%[i], R%[i], [BSWAP]
%assign i i + 1
%endrep
	; dwords: TL/TH(k) = rows 2k, 2k+1 interleaved (words 4q, 4q+1 / 4q+2, 4q+3)
%assign k 0
%rep 8
%assign i0 2 * k
%assign i1 2 * k + 1
	PAIR	vpunpckldq, vpunpckhdq, R%[i0], R%[i1]
%xdefine TL%[k] _LO
%xdefine TH%[k] _HI
%assign k k + 1
%endrep
	; qwords: Q(m, r) holds, in 128-bit lane q, word 4q + r of lanes 4m..4m+3
%assign m 0
%rep 4
%assign j0 2 * m
%assign j1 2 * m + 1
	PAIR	vpunpcklqdq, vpunpckhqdq, TL%[j0], TL%[j1]
%xdefine Q%[m]_0 _LO
%xdefine Q%[m]_1 _HI
	PAIR	vpunpcklqdq, vpunpckhqdq, TH%[j0], TH%[j1]
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
	vmovdqa32 [rsp + WOFF(%1, r)], _LO
	vmovdqa32 [rsp + WOFF(%1, (r + 4))], _HI
	PAIR	vshufi32x4, vshufi32x4, X1, X3, 0x88, 0xdd
	vmovdqa32 [rsp + WOFF(%1, (r + 8))], _LO
	vmovdqa32 [rsp + WOFF(%1, (r + 12))], _HI
%assign r r + 1
%endrep
%endmacro

; The state of group %1 between blocks lives in its SAVE area.
%macro LOAD_STATE 1
	CANON	%1
	vmovdqa32 A%1, [rsp + SAVE(%1) + 0 * 64]
	vmovdqa32 B%1, [rsp + SAVE(%1) + 1 * 64]
	vmovdqa32 C%1, [rsp + SAVE(%1) + 2 * 64]
	vmovdqa32 D%1, [rsp + SAVE(%1) + 3 * 64]
	vmovdqa32 E%1, [rsp + SAVE(%1) + 4 * 64]
	vmovdqa32 F%1, [rsp + SAVE(%1) + 5 * 64]
	vmovdqa32 G%1, [rsp + SAVE(%1) + 6 * 64]
	vmovdqa32 H%1, [rsp + SAVE(%1) + 7 * 64]
%endmacro

; SAVE += a..h: the feed-forward at the end of a block.
%macro FEED_FORWARD 1
	vpaddd	A%1, A%1, [rsp + SAVE(%1) + 0 * 64]
	vpaddd	B%1, B%1, [rsp + SAVE(%1) + 1 * 64]
	vpaddd	C%1, C%1, [rsp + SAVE(%1) + 2 * 64]
	vpaddd	D%1, D%1, [rsp + SAVE(%1) + 3 * 64]
	vpaddd	E%1, E%1, [rsp + SAVE(%1) + 4 * 64]
	vpaddd	F%1, F%1, [rsp + SAVE(%1) + 5 * 64]
	vpaddd	G%1, G%1, [rsp + SAVE(%1) + 6 * 64]
	vpaddd	H%1, H%1, [rsp + SAVE(%1) + 7 * 64]
	vmovdqa32 [rsp + SAVE(%1) + 0 * 64], A%1
	vmovdqa32 [rsp + SAVE(%1) + 1 * 64], B%1
	vmovdqa32 [rsp + SAVE(%1) + 2 * 64], C%1
	vmovdqa32 [rsp + SAVE(%1) + 3 * 64], D%1
	vmovdqa32 [rsp + SAVE(%1) + 4 * 64], E%1
	vmovdqa32 [rsp + SAVE(%1) + 5 * 64], F%1
	vmovdqa32 [rsp + SAVE(%1) + 6 * 64], G%1
	vmovdqa32 [rsp + SAVE(%1) + 7 * 64], H%1
%endmacro

; void mbv_sha256_x32_avx512(uint32_t st[8][32], const uint8_t *const data[32],
;                            size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, r8, zmm0-zmm31, flags.
global mbv_sha256_x32_avx512:function hidden
mbv_sha256_x32_avx512:
	push	rbp
	mov	rbp, rsp
	sub	rsp, FRAME
	and	rsp, -64
%assign j 0
%rep 16
	vmovdqu32 zmm %+ j, [rdi + 64 * j]
%assign j j + 1
%endrep
%assign j 0
%rep 8
	vmovdqa32 [rsp + SAVE(0) + 64 * j], zmm %+ %eval(2 * j)
	vmovdqa32 [rsp + SAVE(1) + 64 * j], zmm %+ %eval(2 * j + 1)
%assign j j + 1
%endrep
	xor	eax, eax			; byte offset into every lane
	test	rdx, rdx
	jz	.final
.loop:
	LOAD_TRANSPOSE 0
	LOAD_TRANSPOSE 1
	LOAD_STATE 0
	LOAD_STATE 1
	QCANON
	vmovdqa32 Q0a, [rsp + WOFF(0, 14)]
	vmovdqa32 Q0b, [rsp + WOFF(0, 15)]
	vmovdqa32 Q1a, [rsp + WOFF(1, 14)]
	vmovdqa32 Q1b, [rsp + WOFF(1, 15)]
%assign t 0
%rep 64
	ROUND_W	0, t
	ROUND_W	1, t
%if t < 48
	SCHED	0, t
	SCHED	1, t
%endif
%assign t t + 1
%endrep
	FEED_FORWARD 0
	FEED_FORWARD 1
	add	rax, 64
	dec	rdx
	jnz	.loop
.final:
	test	rcx, rcx
	jz	.store
	LOAD_STATE 0
	LOAD_STATE 1
%assign t 0
%rep 64
	ROUND_WK 0, t
	ROUND_WK 1, t
%assign t t + 1
%endrep
	FEED_FORWARD 0
	FEED_FORWARD 1
.store:
%assign j 0
%rep 8
	vmovdqa32 zmm0, [rsp + SAVE(0) + 64 * j]
	vmovdqa32 zmm1, [rsp + SAVE(1) + 64 * j]
	vmovdqu32 [rdi + 128 * j], zmm0
	vmovdqu32 [rdi + 128 * j + 64], zmm1
%assign j j + 1
%endrep
	vzeroupper
	mov	rsp, rbp
	pop	rbp
	ret
