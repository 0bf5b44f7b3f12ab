// AVX-512 kernels for enc1 and enc2 (see conv_amd64.go for the
// contracts): as the AVX2 kernels in conv_avx2_amd64.s, but sixteen output
// pixels to a vector, so half the instructions. They need only AVX-512F.
//
// Byte strides: padded input rows 34*4 = 136; p1 rows 18*4 = 72 and
// channels 18*18*4 = 1296; p2 rows 10*4 = 40 and channels 10*10*4 = 400.

#include "textflag.h"

// Permutation indices that pick the even and the odd lanes of the 32-lane
// concatenation of two vectors (VPERMT2PS): pooling's column pairs.
DATA evenCols<>+0(SB)/4, $0
DATA evenCols<>+4(SB)/4, $2
DATA evenCols<>+8(SB)/4, $4
DATA evenCols<>+12(SB)/4, $6
DATA evenCols<>+16(SB)/4, $8
DATA evenCols<>+20(SB)/4, $10
DATA evenCols<>+24(SB)/4, $12
DATA evenCols<>+28(SB)/4, $14
DATA evenCols<>+32(SB)/4, $16
DATA evenCols<>+36(SB)/4, $18
DATA evenCols<>+40(SB)/4, $20
DATA evenCols<>+44(SB)/4, $22
DATA evenCols<>+48(SB)/4, $24
DATA evenCols<>+52(SB)/4, $26
DATA evenCols<>+56(SB)/4, $28
DATA evenCols<>+60(SB)/4, $30
GLOBL evenCols<>(SB), RODATA|NOPTR, $64
DATA oddCols<>+0(SB)/4, $1
DATA oddCols<>+4(SB)/4, $3
DATA oddCols<>+8(SB)/4, $5
DATA oddCols<>+12(SB)/4, $7
DATA oddCols<>+16(SB)/4, $9
DATA oddCols<>+20(SB)/4, $11
DATA oddCols<>+24(SB)/4, $13
DATA oddCols<>+28(SB)/4, $15
DATA oddCols<>+32(SB)/4, $17
DATA oddCols<>+36(SB)/4, $19
DATA oddCols<>+40(SB)/4, $21
DATA oddCols<>+44(SB)/4, $23
DATA oddCols<>+48(SB)/4, $25
DATA oddCols<>+52(SB)/4, $27
DATA oddCols<>+56(SB)/4, $29
DATA oddCols<>+60(SB)/4, $31
GLOBL oddCols<>(SB), RODATA|NOPTR, $64

// POOL32 sets dst to the max of each column pair of the 32 lanes a:b, in
// column order (Z28, Z29: the even and odd indices). It overwrites a.
#define POOL32(a, b, dst) \
	VMOVAPS   a, dst; \
	VPERMT2PS b, Z28, dst; \
	VPERMT2PS b, Z29, a; \
	VMAXPS    a, dst, dst

// ---- enc1: 1 -> 16 channels, two at a time ----------------------------
//
// Two channels per step give eight independent sums, enough to hide the
// FMA latency, and each input load feeds four FMAs. Z0-Z8 hold channel
// A's nine weights, Z9-Z17 channel B's. For A, Z18 and Z19 accumulate conv
// row 2py, columns 0-15 and 16-31, Z20 and Z21 row 2py+1; for B, Z22-Z25
// alike. Z26 and Z27 take the loads; Z28-Z31 serve the pooling.

// Z1LOAD loads input columns dx .. dx+31 of the row at byte offset roff.
#define Z1LOAD(roff, dx) \
	VMOVUPS (roff+4*(dx))(SI), Z26; \
	VMOVUPS (roff+64+4*(dx))(SI), Z27

// Z1UP adds the loaded row into conv row 2py with weights wa (channel A)
// and wb (channel B); Z1LOW into conv row 2py+1.
#define Z1UP(wa, wb) \
	VFMADD231PS Z26, wa, Z18; \
	VFMADD231PS Z27, wa, Z19; \
	VFMADD231PS Z26, wb, Z22; \
	VFMADD231PS Z27, wb, Z23

#define Z1LOW(wa, wb) \
	VFMADD231PS Z26, wa, Z20; \
	VFMADD231PS Z27, wa, Z21; \
	VFMADD231PS Z26, wb, Z24; \
	VFMADD231PS Z27, wb, Z25

// Z1STORE pools one channel's conv rows (upper u0 u16, lower l0 l16), adds
// the bias at boff(BX), applies ReLU and stores 16 values at off(DI).
#define Z1STORE(u0, u16, l0, l16, boff, off) \
	VMAXPS      l0, u0, u0; \
	VMAXPS      l16, u16, u16; \
	POOL32(u0, u16, Z31); \
	VADDPS.BCST boff(BX), Z31, Z31; \
	VMAXPS      Z30, Z31, Z31; \
	VMOVUPS     Z31, off(DI)

// func conv1RowAVX512(in *float32, w *[16][9]float32, b *[16]float32, out *float32)
TEXT ·conv1RowAVX512(SB), NOSPLIT, $0-32
	MOVQ    in+0(FP), SI
	MOVQ    w+8(FP), DX
	MOVQ    b+16(FP), BX
	MOVQ    out+24(FP), DI
	MOVQ    $8, CX
	VMOVUPS evenCols<>(SB), Z28
	VMOVUPS oddCols<>(SB), Z29
	VPXORD  Z30, Z30, Z30

conv1Chans:
	VBROADCASTSS 0(DX), Z0
	VBROADCASTSS 4(DX), Z1
	VBROADCASTSS 8(DX), Z2
	VBROADCASTSS 12(DX), Z3
	VBROADCASTSS 16(DX), Z4
	VBROADCASTSS 20(DX), Z5
	VBROADCASTSS 24(DX), Z6
	VBROADCASTSS 28(DX), Z7
	VBROADCASTSS 32(DX), Z8
	VBROADCASTSS 36(DX), Z9
	VBROADCASTSS 40(DX), Z10
	VBROADCASTSS 44(DX), Z11
	VBROADCASTSS 48(DX), Z12
	VBROADCASTSS 52(DX), Z13
	VBROADCASTSS 56(DX), Z14
	VBROADCASTSS 60(DX), Z15
	VBROADCASTSS 64(DX), Z16
	VBROADCASTSS 68(DX), Z17
	VPXORD       Z18, Z18, Z18
	VPXORD       Z19, Z19, Z19
	VPXORD       Z20, Z20, Z20
	VPXORD       Z21, Z21, Z21
	VPXORD       Z22, Z22, Z22
	VPXORD       Z23, Z23, Z23
	VPXORD       Z24, Z24, Z24
	VPXORD       Z25, Z25, Z25

	Z1LOAD(0, 0)
	Z1UP(Z0, Z9)
	Z1LOAD(0, 1)
	Z1UP(Z1, Z10)
	Z1LOAD(0, 2)
	Z1UP(Z2, Z11)
	Z1LOAD(136, 0)
	Z1UP(Z3, Z12)
	Z1LOW(Z0, Z9)
	Z1LOAD(136, 1)
	Z1UP(Z4, Z13)
	Z1LOW(Z1, Z10)
	Z1LOAD(136, 2)
	Z1UP(Z5, Z14)
	Z1LOW(Z2, Z11)
	Z1LOAD(272, 0)
	Z1UP(Z6, Z15)
	Z1LOW(Z3, Z12)
	Z1LOAD(272, 1)
	Z1UP(Z7, Z16)
	Z1LOW(Z4, Z13)
	Z1LOAD(272, 2)
	Z1UP(Z8, Z17)
	Z1LOW(Z5, Z14)
	Z1LOAD(408, 0)
	Z1LOW(Z6, Z15)
	Z1LOAD(408, 1)
	Z1LOW(Z7, Z16)
	Z1LOAD(408, 2)
	Z1LOW(Z8, Z17)

	Z1STORE(Z18, Z19, Z20, Z21, 0, 0)
	Z1STORE(Z22, Z23, Z24, Z25, 4, 1296)
	ADDQ $72, DX
	ADDQ $8, BX
	ADDQ $2592, DI
	DECQ CX
	JNZ  conv1Chans
	VZEROUPPER
	RET

// ---- enc2: 16 -> 2 channels, four pooled rows a call -------------------
//
// Conv rows 2py .. 2py+7 (pooled rows py .. py+3), 16 columns each: output
// channel 0 in Z0-Z7, channel 1 in Z8-Z15, sixteen independent sums to keep
// both FMA pipes busy. The weights are the plain (out, in, tap) array,
// broadcast from memory: DX walks input channels (36 bytes), output channel
// 1 is 16*36 = 576 bytes on.

#define Z2LOAD(roff, dx) VMOVUPS (roff+4*(dx))(SI), Z16

// Z2FMA adds the loaded row times tap k into conv row a (channel 0) and b
// (channel 1).
#define Z2FMA(k, a, b) \
	VFMADD231PS.BCST (4*(k))(DX), Z16, a; \
	VFMADD231PS.BCST (576+4*(k))(DX), Z16, b

// Z2COL feeds input column offset dx of rows 2py .. 2py+9 of one channel
// into every conv row they reach.
#define Z2COL(dx) \
	Z2LOAD(0, dx); \
	Z2FMA(dx, Z0, Z8); \
	Z2LOAD(72, dx); \
	Z2FMA(3+dx, Z0, Z8); \
	Z2FMA(dx, Z1, Z9); \
	Z2LOAD(144, dx); \
	Z2FMA(6+dx, Z0, Z8); \
	Z2FMA(3+dx, Z1, Z9); \
	Z2FMA(dx, Z2, Z10); \
	Z2LOAD(216, dx); \
	Z2FMA(6+dx, Z1, Z9); \
	Z2FMA(3+dx, Z2, Z10); \
	Z2FMA(dx, Z3, Z11); \
	Z2LOAD(288, dx); \
	Z2FMA(6+dx, Z2, Z10); \
	Z2FMA(3+dx, Z3, Z11); \
	Z2FMA(dx, Z4, Z12); \
	Z2LOAD(360, dx); \
	Z2FMA(6+dx, Z3, Z11); \
	Z2FMA(3+dx, Z4, Z12); \
	Z2FMA(dx, Z5, Z13); \
	Z2LOAD(432, dx); \
	Z2FMA(6+dx, Z4, Z12); \
	Z2FMA(3+dx, Z5, Z13); \
	Z2FMA(dx, Z6, Z14); \
	Z2LOAD(504, dx); \
	Z2FMA(6+dx, Z5, Z13); \
	Z2FMA(3+dx, Z6, Z14); \
	Z2FMA(dx, Z7, Z15); \
	Z2LOAD(576, dx); \
	Z2FMA(6+dx, Z6, Z14); \
	Z2FMA(3+dx, Z7, Z15); \
	Z2LOAD(648, dx); \
	Z2FMA(6+dx, Z7, Z15)

// Z2STORE pools four conv rows of one output channel into two pooled rows,
// adds the bias (boff(BX)), applies ReLU and stores them at off(DI) and
// off+40(DI).
#define Z2STORE(r0, r1, r2, r3, boff, off) \
	VMAXPS        r1, r0, r0; \
	VMAXPS        r3, r2, r2; \
	POOL32(r0, r2, Z19); \
	VADDPS.BCST   boff(BX), Z19, Z19; \
	VMAXPS        Z30, Z19, Z19; \
	VMOVUPS       Y19, off(DI); \
	VEXTRACTF64X4 $1, Z19, Y20; \
	VMOVUPS       Y20, (off+40)(DI)

// func conv2RowsAVX512(in *float32, w *[2][16][9]float32, b *[2]float32, out *float32)
TEXT ·conv2RowsAVX512(SB), NOSPLIT, $0-32
	MOVQ   in+0(FP), SI
	MOVQ   w+8(FP), DX
	MOVQ   b+16(FP), BX
	MOVQ   out+24(FP), DI
	MOVQ   $16, CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

conv2Chan:
	Z2COL(0)
	Z2COL(1)
	Z2COL(2)
	ADDQ $1296, SI
	ADDQ $36, DX
	DECQ CX
	JNZ  conv2Chan

	VMOVUPS evenCols<>(SB), Z28
	VMOVUPS oddCols<>(SB), Z29
	VPXORD  Z30, Z30, Z30
	Z2STORE(Z0, Z1, Z2, Z3, 0, 0)
	Z2STORE(Z4, Z5, Z6, Z7, 0, 80)
	Z2STORE(Z8, Z9, Z10, Z11, 4, 400)
	Z2STORE(Z12, Z13, Z14, Z15, 4, 480)
	VZEROUPPER
	RET
