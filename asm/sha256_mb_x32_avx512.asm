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

SHA256_RODATA 4

; Stack frame: W[t] of group g at WOFF(g, t) (the groups side by side, so
; that the two arrays do not alias modulo 4 KiB), then the state.
%define WOFF(g, t)	(128 * (t) + 64 * (g))
%define SAVE(g)		(2 * 64 * 64 + (g) * 8 * 64)
%define FRAME		(2 * 64 * 64 + 2 * 8 * 64)

; Working variables a..h of group %1; the names rotate each round, not the
; data, and are back in place after 64 rounds.
%macro CANON 1
%xdefine A%1 zmm %+ %eval(8 * (%1))
%xdefine B%1 zmm %+ %eval(8 * (%1) + 1)
%xdefine C%1 zmm %+ %eval(8 * (%1) + 2)
%xdefine D%1 zmm %+ %eval(8 * (%1) + 3)
%xdefine E%1 zmm %+ %eval(8 * (%1) + 4)
%xdefine F%1 zmm %+ %eval(8 * (%1) + 5)
%xdefine G%1 zmm %+ %eval(8 * (%1) + 6)
%xdefine H%1 zmm %+ %eval(8 * (%1) + 7)
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
;
; Op count (zmm ALU ops per group): a round is 17, 2 adds of K and W
; (ROUND_W), Ch + S1 and Maj + S0 at 7 each, d + T1; SCHED is 11 ALU ops
; (plus a load and a store) in 48 of the 64 rounds: 25.25 a round.  A
; block adds 80 shuffles and 8 feed-forward adds: 1704 ops per 64 bytes of
; 16 lanes, the constant block 64 * 17 + 8 = 1096; a 4 KiB unit is 64
; blocks + the constant one: 110152 ops per 64 KiB of a group.  Floor on
; the Intel Xeon measured (Golden Cove class, two 512-bit ports): 0.840
; cycles/byte (4 KiB units, hot).  Measured there (bench_hash, 2026-12-03,
; best of 5 and of 7 rounds): 0.91 to 0.95, 88-92% of it and no faster
; than x16 (0.91): the ops are not the limit but the memory side, 32 lanes
; 4 KiB apart sharing 12-way L1 sets (likely evicting prefetched lines)
; and W through the stack.  On Zen 5 the issue estimate is half, near 0.42.
%macro ROUND_BODY 1
	SHA256_Z_ADD_CH_S1 H%1, E%1, F%1, G%1, T(%1, 0), T(%1, 1), T(%1, 2)	; T1
	vpaddd	D%1, D%1, H%1			; e'
	SHA256_Z_ADD_MAJ_S0 H%1, A%1, B%1, C%1, T(%1, 0), T(%1, 1), T(%1, 2)	; a'
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

; The transpose leaves W[%2] in _LO and W[%3] in _HI: to the stack, group %1.
%macro STORE_W 3
	vmovdqa32 [rsp + WOFF(%1, %2)], _LO
	vmovdqa32 [rsp + WOFF(%1, %3)], _HI
%endmacro

; W[0..15] of the block at offset rax of group %1's lanes to the stack.
; Each lane is read with one 64-byte load: sixteen lanes 4 KiB apart share
; an L1 set, so a line must not be needed twice.  The state registers are
; free here (the state is in the SAVE area): the transpose uses zmm0-zmm16.
%macro LOAD_TRANSPOSE 1
	SHA256_LOAD_TRANSPOSE 16 * (%1), 0, STORE_W, %1
%endmacro

; SHA256_ROWS %1, %2 between group %3's SAVE area and a..h.
%macro ROWS 3
	SHA256_ROWS %1, %2, rsp + SAVE(%3), 64, A%3, B%3, C%3, D%3, E%3, F%3, G%3, H%3
%endmacro

; The state of group %1 between blocks lives in its SAVE area.
%macro LOAD_STATE 1
	CANON	%1
	ROWS	load, vmovdqa32, %1
%endmacro

; SAVE += a..h: the feed-forward at the end of a block.
%macro FEED_FORWARD 1
	ROWS	add, , %1
	ROWS	store, vmovdqa32, %1
%endmacro

; void mbv_sha256_x32_avx512(uint32_t st[8][32], const uint8_t *const data[32],
;                            size_t nblocks, const uint32_t wk[64]);
; Clobbers rax, rdx, r8, zmm0-zmm31, flags.
MBV_FUNCTION mbv_sha256_x32_avx512
	SHA256_ENTER FRAME
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
	SHA256_BLOCKS
	LOAD_TRANSPOSE 0
	LOAD_TRANSPOSE 1
	LOAD_STATE 0
	LOAD_STATE 1
	QCANON
	vmovdqa32 Q0a, [rsp + WOFF(0, 14)]
	vmovdqa32 Q0b, [rsp + WOFF(0, 15)]
	vmovdqa32 Q1a, [rsp + WOFF(1, 14)]
	vmovdqa32 Q1b, [rsp + WOFF(1, 15)]
	SHA256_ROUNDS ROUND_W, SCHED, 2
	FEED_FORWARD 0
	FEED_FORWARD 1
	SHA256_BLOCKS_END
	LOAD_STATE 0
	LOAD_STATE 1
	SHA256_ROUNDS ROUND_WK, , 2
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
	SHA256_LEAVE
