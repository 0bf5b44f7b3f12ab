// The input image's whole rows from a prefix's bytes with AVX-512F (see
// loadFullRows in conv_amd64.go): each byte b to float32(b)/255, sixteen
// at a time. VDIVPS rounds as the scalar division that made byteScale
// (IEEE single precision, to nearest), so the values are its bits.

#include "textflag.h"

// func bytesRowsAVX512(src *byte, dst *float32, rows int)
TEXT ·bytesRowsAVX512(SB), NOSPLIT, $0-24
	MOVQ         src+0(FP), SI
	MOVQ         dst+8(FP), DI
	MOVQ         rows+16(FP), CX
	MOVL         $0x437f0000, AX // 255.0
	VPBROADCASTD AX, Z2

loop:
	TESTQ     CX, CX
	JZ        done
	VPMOVZXBD (SI), Z0
	VPMOVZXBD 16(SI), Z1
	VCVTDQ2PS Z0, Z0
	VCVTDQ2PS Z1, Z1
	VDIVPS    Z2, Z0, Z0
	VDIVPS    Z2, Z1, Z1
	VMOVUPS   Z0, (DI)
	VMOVUPS   Z1, 64(DI)
	ADDQ      $32, SI
	ADDQ      $136, DI // a padded row: 34 floats
	DECQ      CX
	JMP       loop

done:
	VZEROUPPER
	RET
