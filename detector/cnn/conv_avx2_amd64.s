// AVX2 + FMA kernels for the encoder's three convolutions (see
// conv_amd64.go for the contracts). Each vectorises over eight adjacent
// output pixels of one row: a 3x3 tap is one unaligned load of eight input
// values and one FMA with the tap's weight in all eight lanes. Each fuses
// its bias, ReLU and (for enc1 and enc2) 2x2 max-pool; max-pooling before
// the bias is exact, as rounding x+b is monotone in x.
//
// Byte strides: padded input rows 34*4 = 136; p1 rows 18*4 = 72 and
// channels 18*18*4 = 1296; p2 rows 10*4 = 40 and channels 10*10*4 = 400.

#include "textflag.h"

// POOL2 turns the eight column pairs of vectors a (columns 0-7) and b
// (columns 8-15) into eight pooled values in Y14, in column order:
// VSHUFPS picks the even and odd columns of each 128-bit half, VPERMPD
// puts the halves' results back in order. It overwrites a.
#define POOL2(a, b) \
	VSHUFPS $0x88, b, a, Y14; \
	VSHUFPS $0xDD, b, a, a; \
	VMAXPS  a, Y14, Y14; \
	VPERMPD $0xD8, Y14, Y14

// ---- enc1: 1 -> 16 channels -------------------------------------------
//
// Y0-Y8 hold the current channel's nine weights, Y15 its bias; Y9 and Y10
// accumulate conv rows 2py and 2py+1 of eight columns.

// C1IN loads input row r (byte offset roff), columns col+dx .. col+dx+7,
// and adds it into the upper conv row with weight wu and into the lower
// with weight wl.
#define C1IN(roff, col, dx, wu, wl) \
	VMOVUPS     (roff+col+4*(dx))(SI), Y11; \
	VFMADD231PS Y11, wu, Y9; \
	VFMADD231PS Y11, wl, Y10

// C1QUARTER computes conv rows 2py and 2py+1 at the eight columns from
// byte offset col, and leaves their elementwise max in dst.
#define C1QUARTER(col, dst) \
	VXORPS      Y9, Y9, Y9; \
	VXORPS      Y10, Y10, Y10; \
	VMOVUPS     (col+0)(SI), Y11; \
	VFMADD231PS Y11, Y0, Y9; \
	VMOVUPS     (col+4)(SI), Y11; \
	VFMADD231PS Y11, Y1, Y9; \
	VMOVUPS     (col+8)(SI), Y11; \
	VFMADD231PS Y11, Y2, Y9; \
	C1IN(136, col, 0, Y3, Y0); \
	C1IN(136, col, 1, Y4, Y1); \
	C1IN(136, col, 2, Y5, Y2); \
	C1IN(272, col, 0, Y6, Y3); \
	C1IN(272, col, 1, Y7, Y4); \
	C1IN(272, col, 2, Y8, Y5); \
	VMOVUPS     (408+col+0)(SI), Y11; \
	VFMADD231PS Y11, Y6, Y10; \
	VMOVUPS     (408+col+4)(SI), Y11; \
	VFMADD231PS Y11, Y7, Y10; \
	VMOVUPS     (408+col+8)(SI), Y11; \
	VFMADD231PS Y11, Y8, Y10; \
	VMAXPS      Y10, Y9, dst

// C1STORE pools a and b (conv columns 0-15 of a 16-column half), adds the
// bias, applies ReLU and stores the eight values at byte offset off of DI.
#define C1STORE(a, b, off) \
	POOL2(a, b); \
	VADDPS  Y15, Y14, Y14; \
	VXORPS  Y9, Y9, Y9; \
	VMAXPS  Y9, Y14, Y14; \
	VMOVUPS Y14, off(DI)

// func conv1Row(in *float32, w *[16][9]float32, b *[16]float32, out *float32)
TEXT ·conv1Row(SB), NOSPLIT, $0-32
	MOVQ in+0(FP), SI
	MOVQ w+8(FP), DX
	MOVQ b+16(FP), BX
	MOVQ out+24(FP), DI
	MOVQ $16, CX

conv1Chan:
	VBROADCASTSS 0(DX), Y0
	VBROADCASTSS 4(DX), Y1
	VBROADCASTSS 8(DX), Y2
	VBROADCASTSS 12(DX), Y3
	VBROADCASTSS 16(DX), Y4
	VBROADCASTSS 20(DX), Y5
	VBROADCASTSS 24(DX), Y6
	VBROADCASTSS 28(DX), Y7
	VBROADCASTSS 32(DX), Y8
	VBROADCASTSS (BX), Y15
	C1QUARTER(0, Y12)
	C1QUARTER(32, Y13)
	C1STORE(Y12, Y13, 0)
	C1QUARTER(64, Y12)
	C1QUARTER(96, Y13)
	C1STORE(Y12, Y13, 32)
	ADDQ $36, DX
	ADDQ $4, BX
	ADDQ $1296, DI
	DECQ CX
	JNZ  conv1Chan
	VZEROUPPER
	RET

// ---- enc2: 16 -> 2 channels -------------------------------------------
//
// Accumulators, for output channel 0: Y0 conv row 2py columns 0-7, Y1 row
// 2py columns 8-15, Y2 and Y3 row 2py+1; for channel 1: Y4-Y7 alike. The
// weights (DX) are laid out (out, tap, lane) per input channel: output
// channel 1 is 288 bytes after channel 0, tap k at 32*k.

// C2COL feeds one input channel's column offset dx of half col (byte
// offset of columns 0 or 8) into the accumulators u0, l0 (output channel 0,
// upper and lower conv row) and u1, l1 (output channel 1).
#define C2COL(col, dx, u0, l0, u1, l1) \
	VMOVUPS     (col+4*(dx))(SI), Y8; \
	VFMADD231PS (32*(dx))(DX), Y8, u0; \
	VFMADD231PS (288+32*(dx))(DX), Y8, u1; \
	VMOVUPS     (72+col+4*(dx))(SI), Y8; \
	VFMADD231PS (32*(3+dx))(DX), Y8, u0; \
	VFMADD231PS (288+32*(3+dx))(DX), Y8, u1; \
	VFMADD231PS (32*(dx))(DX), Y8, l0; \
	VFMADD231PS (288+32*(dx))(DX), Y8, l1; \
	VMOVUPS     (144+col+4*(dx))(SI), Y8; \
	VFMADD231PS (32*(6+dx))(DX), Y8, u0; \
	VFMADD231PS (288+32*(6+dx))(DX), Y8, u1; \
	VFMADD231PS (32*(3+dx))(DX), Y8, l0; \
	VFMADD231PS (288+32*(3+dx))(DX), Y8, l1; \
	VMOVUPS     (216+col+4*(dx))(SI), Y8; \
	VFMADD231PS (32*(6+dx))(DX), Y8, l0; \
	VFMADD231PS (288+32*(6+dx))(DX), Y8, l1

// C2STORE pools one output channel's accumulators, adds its bias (byte
// offset boff of BX), applies ReLU and stores eight values at off(DI).
#define C2STORE(u0, u8, l0, l8, boff, off) \
	VMAXPS       l0, u0, u0; \
	VMAXPS       l8, u8, u8; \
	POOL2(u0, u8); \
	VBROADCASTSS boff(BX), Y9; \
	VADDPS       Y9, Y14, Y14; \
	VXORPS       Y9, Y9, Y9; \
	VMAXPS       Y9, Y14, Y14; \
	VMOVUPS      Y14, off(DI)

// func conv2Row(in *float32, w *[16][2][9][8]float32, b *[2]float32, out *float32)
TEXT ·conv2Row(SB), NOSPLIT, $0-32
	MOVQ   in+0(FP), SI
	MOVQ   w+8(FP), DX
	MOVQ   b+16(FP), BX
	MOVQ   out+24(FP), DI
	MOVQ   $16, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

conv2Chan:
	C2COL(0, 0, Y0, Y2, Y4, Y6)
	C2COL(0, 1, Y0, Y2, Y4, Y6)
	C2COL(0, 2, Y0, Y2, Y4, Y6)
	C2COL(32, 0, Y1, Y3, Y5, Y7)
	C2COL(32, 1, Y1, Y3, Y5, Y7)
	C2COL(32, 2, Y1, Y3, Y5, Y7)
	ADDQ $1296, SI
	ADDQ $576, DX
	DECQ CX
	JNZ  conv2Chan

	C2STORE(Y0, Y1, Y2, Y3, 0, 0)
	C2STORE(Y4, Y5, Y6, Y7, 4, 400)
	VZEROUPPER
	RET

// ---- enc3: 2 -> 2 channels, no pooling --------------------------------
//
// One code row (eight values) per output channel per step: Y0 for output
// channel 0, Y1 for channel 1. The weights are laid out (out, in, tap,
// lane): 288 bytes per (out, in) pair.

// C3TAP adds input channel c's tap (ky, kx) into both output channels.
#define C3TAP(c, ky, kx) \
	VMOVUPS     (400*(c)+40*(ky)+4*(kx))(SI), Y2; \
	VFMADD231PS (288*(c)+32*(3*(ky)+kx))(DX), Y2, Y0; \
	VFMADD231PS (576+288*(c)+32*(3*(ky)+kx))(DX), Y2, Y1

#define C3CHAN(c) \
	C3TAP(c, 0, 0); C3TAP(c, 0, 1); C3TAP(c, 0, 2); \
	C3TAP(c, 1, 0); C3TAP(c, 1, 1); C3TAP(c, 1, 2); \
	C3TAP(c, 2, 0); C3TAP(c, 2, 1); C3TAP(c, 2, 2)

// func conv3(in *[200]float32, w *[2][2][9][8]float32, b *[2]float32, code *[128]float32)
TEXT ·conv3(SB), NOSPLIT, $0-32
	MOVQ         in+0(FP), SI
	MOVQ         w+8(FP), DX
	MOVQ         b+16(FP), BX
	MOVQ         code+24(FP), DI
	VBROADCASTSS 0(BX), Y13
	VBROADCASTSS 4(BX), Y14
	VXORPS       Y15, Y15, Y15
	MOVQ         $8, CX

conv3Row:
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	C3CHAN(0)
	C3CHAN(1)
	VADDPS  Y13, Y0, Y0
	VMAXPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	VADDPS  Y14, Y1, Y1
	VMAXPS  Y15, Y1, Y1
	VMOVUPS Y1, 256(DI)
	ADDQ    $40, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     conv3Row
	VZEROUPPER
	RET
