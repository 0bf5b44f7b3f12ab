package cnn

// The encoder's layers in plain Go: the path for CPUs without AVX2 and FMA
// (and for other architectures), and the reference the assembly kernels are
// tested against.

// encodeGeneric encodes the loaded image with the plain-Go layers.
func (e *Encoder) encodeGeneric(code []float32) {
	e.layer1()
	e.layer2()
	e.layer3(code)
}

// layer1 is enc1 (1->16) + bias + ReLU + 2x2 max-pool. Each pooled value
// needs the 2x2 convolution outputs of a 4x4 input patch; the patch is read
// row by row, each row feeding the outputs above and below it.
func (e *Encoder) layer1() {
	for py := range h1 {
		r := 2 * py // padded rows r .. r+3
		if e.zeroRows(r) {
			e.layer1BiasRow(py)
			continue
		}
		e.p1Bias[py] = false
		in0 := e.in[r*pIn:][:pIn]
		in1 := e.in[(r+1)*pIn:][:pIn]
		in2 := e.in[(r+2)*pIn:][:pIn]
		in3 := e.in[(r+3)*pIn:][:pIn]
		for c := range c1 {
			k := &e.w1[c]
			k0, k1, k2, k3, k4, k5, k6, k7, k8 := k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]
			b := e.b1[c]
			out := e.p1[c*p1Size+(py+1)*p1Side+1:][:h1]
			for px := range out {
				x := 2 * px
				a := (*[4]float32)(in0[x : x+4])
				s00 := k0*a[0] + k1*a[1] + k2*a[2]
				s01 := k0*a[1] + k1*a[2] + k2*a[3]
				a = (*[4]float32)(in1[x : x+4])
				s00 += k3*a[0] + k4*a[1] + k5*a[2]
				s01 += k3*a[1] + k4*a[2] + k5*a[3]
				s10 := k0*a[0] + k1*a[1] + k2*a[2]
				s11 := k0*a[1] + k1*a[2] + k2*a[3]
				a = (*[4]float32)(in2[x : x+4])
				s00 += k6*a[0] + k7*a[1] + k8*a[2]
				s01 += k6*a[1] + k7*a[2] + k8*a[3]
				s10 += k3*a[0] + k4*a[1] + k5*a[2]
				s11 += k3*a[1] + k4*a[2] + k5*a[3]
				a = (*[4]float32)(in3[x : x+4])
				s10 += k6*a[0] + k7*a[1] + k8*a[2]
				s11 += k6*a[1] + k7*a[2] + k8*a[3]
				out[px] = max(max(max(s00, s01), max(s10, s11))+b, 0)
			}
		}
	}
}

// layer2 is enc2 (16->2) + bias + ReLU + 2x2 max-pool, both output channels
// at once: each 4x4 patch of an input channel is read once for the eight
// convolution outputs under one pooled position of each channel.
func (e *Encoder) layer2() {
	for py := range h2 {
		for px := range h2 {
			base := 2*py*p1Side + 2*px
			var s00, s01, s10, s11, t00, t01, t10, t11 float32
			for c := range c1 {
				k := &e.w2[0][c]
				q := &e.w2[1][c]
				p := e.p1[c*p1Size+base:][:3*p1Side+4]
				a := (*[4]float32)(p[0:4])
				s00 += k[0]*a[0] + k[1]*a[1] + k[2]*a[2]
				s01 += k[0]*a[1] + k[1]*a[2] + k[2]*a[3]
				t00 += q[0]*a[0] + q[1]*a[1] + q[2]*a[2]
				t01 += q[0]*a[1] + q[1]*a[2] + q[2]*a[3]
				a = (*[4]float32)(p[p1Side : p1Side+4])
				s00 += k[3]*a[0] + k[4]*a[1] + k[5]*a[2]
				s01 += k[3]*a[1] + k[4]*a[2] + k[5]*a[3]
				s10 += k[0]*a[0] + k[1]*a[1] + k[2]*a[2]
				s11 += k[0]*a[1] + k[1]*a[2] + k[2]*a[3]
				t00 += q[3]*a[0] + q[4]*a[1] + q[5]*a[2]
				t01 += q[3]*a[1] + q[4]*a[2] + q[5]*a[3]
				t10 += q[0]*a[0] + q[1]*a[1] + q[2]*a[2]
				t11 += q[0]*a[1] + q[1]*a[2] + q[2]*a[3]
				a = (*[4]float32)(p[2*p1Side : 2*p1Side+4])
				s00 += k[6]*a[0] + k[7]*a[1] + k[8]*a[2]
				s01 += k[6]*a[1] + k[7]*a[2] + k[8]*a[3]
				s10 += k[3]*a[0] + k[4]*a[1] + k[5]*a[2]
				s11 += k[3]*a[1] + k[4]*a[2] + k[5]*a[3]
				t00 += q[6]*a[0] + q[7]*a[1] + q[8]*a[2]
				t01 += q[6]*a[1] + q[7]*a[2] + q[8]*a[3]
				t10 += q[3]*a[0] + q[4]*a[1] + q[5]*a[2]
				t11 += q[3]*a[1] + q[4]*a[2] + q[5]*a[3]
				a = (*[4]float32)(p[3*p1Side : 3*p1Side+4])
				s10 += k[6]*a[0] + k[7]*a[1] + k[8]*a[2]
				s11 += k[6]*a[1] + k[7]*a[2] + k[8]*a[3]
				t10 += q[6]*a[0] + q[7]*a[1] + q[8]*a[2]
				t11 += q[6]*a[1] + q[7]*a[2] + q[8]*a[3]
			}
			o := (py+1)*p2Side + px + 1
			e.p2[o] = max(max(max(s00, s01), max(s10, s11))+e.b2[0], 0)
			e.p2[p2Size+o] = max(max(max(t00, t01), max(t10, t11))+e.b2[1], 0)
		}
	}
}

// layer3 is enc3 (2->2) + bias + ReLU, written straight to code.
func (e *Encoder) layer3(code []float32) {
	code = code[:CodeSize]
	for o := range CodeChans {
		for y := range CodeSide {
			for x := range CodeSide {
				s := e.b3[o]
				var acc float32
				for c := range CodeChans {
					k := &e.w3[o][c]
					p := e.p2[c*p2Size+y*p2Side+x:][:2*p2Side+3]
					acc += k[0]*p[0] + k[1]*p[1] + k[2]*p[2] +
						k[3]*p[p2Side] + k[4]*p[p2Side+1] + k[5]*p[p2Side+2] +
						k[6]*p[2*p2Side] + k[7]*p[2*p2Side+1] + k[8]*p[2*p2Side+2]
				}
				code[(o*CodeSide+y)*CodeSide+x] = max(acc+s, 0)
			}
		}
	}
}
