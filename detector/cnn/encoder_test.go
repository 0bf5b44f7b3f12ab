package cnn

import (
	"testing"
)

// allKernels are the encoder's paths, plain Go first.
var allKernels = []kernels{kernelsGeneric, kernelsAVX2, kernelsAVX512}

// forEachPath runs test on the plain-Go path and on each set of assembly
// kernels that the CPU runs.
func forEachPath(t *testing.T, test func(t *testing.T, kern kernels)) {
	for _, k := range allKernels {
		t.Run(k.String(), func(t *testing.T) {
			if !k.available() {
				t.Skipf("needs amd64 with %v: this CPU cannot run those kernels", k)
			}
			test(t, k)
		})
	}
}

// TestEncoderMatchesGorgonia checks the fast encoder, on both of its paths,
// against the gorgonia graph on the flows of sample.pcap and on random-byte
// images, with trained weights and non-zero biases.
func TestEncoderMatchesGorgonia(t *testing.T) {
	forEachPath(t, testEncoderMatchesGorgonia)
}

func testEncoderMatchesGorgonia(t *testing.T, kern kernels) {
	w := trainedWeights(t)
	for i, c := range w.Convs[:NumEncoder] {
		for j, b := range c.B {
			if b == 0 {
				t.Fatalf("conv %d bias %d is zero: the bias path would go untested", i, j)
			}
		}
	}
	flows := sampleFlowImages(t)
	const batch = 32
	imgs := append(flows, randomImages(9, batch)...)
	for len(imgs)%batch != 0 {
		imgs = append(imgs, randomImages(uint64(len(imgs)), 1)...)
	}
	t.Logf("%d flows from sample.pcap, %d images in all", len(flows), len(imgs))

	ref, err := NewGorgoniaEncoder(w, batch)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	fast, err := newEncoder(w, batch, kern)
	if err != nil {
		t.Fatal(err)
	}
	x := flatten(imgs)
	want := make([]float32, len(imgs)*CodeSize)
	got := make([]float32, len(imgs)*CodeSize)
	for off := 0; off < len(imgs); off += batch {
		if err := ref.Encode(x[off*Pixels:(off+batch)*Pixels], want[off*CodeSize:]); err != nil {
			t.Fatal(err)
		}
		fast.Encode(x[off*Pixels:], batch, got[off*CodeSize:])
	}
	nonzero := 0
	for _, v := range want {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < len(want)/10 {
		t.Fatalf("only %d of %d code values are non-zero: too few to compare", nonzero, len(want))
	}
	worst, at := 0.0, 0
	for i := range got {
		if d := maxAbsDiff(got[i:i+1], want[i:i+1]); d > worst {
			worst, at = d, i
		}
	}
	t.Logf("max |fast - gorgonia| = %.3g (image %d, code value %d); %d of %d values non-zero", worst, at/CodeSize, at%CodeSize, nonzero, len(want))
	if worst >= 1e-4 {
		t.Fatalf("fast encoder differs from gorgonia by %.3g at image %d value %d: %v vs %v", worst, at/CodeSize, at%CodeSize, got[at], want[at])
	}

	// Fewer images than the maximum, and a partial call, give the same codes.
	part := make([]float32, 3*CodeSize)
	fast.Encode(x, 3, part)
	if d := maxAbsDiff(part, got[:3*CodeSize]); d != 0 {
		t.Fatalf("encoding 3 images differs from the batch by %g", d)
	}
}

func TestEncoderZeroImage(t *testing.T) { forEachPath(t, testEncoderZeroImage) }

func testEncoderZeroImage(t *testing.T, kern kernels) {
	w := trainedWeights(t)
	fast, err := newEncoder(w, 1, kern)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := NewGorgoniaEncoder(w, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	img := make([]float32, Pixels) // all zero: the skip path for zero rows
	got := make([]float32, CodeSize)
	want := make([]float32, CodeSize)
	fast.Encode(img, 1, got)
	if err := ref.Encode(img, want); err != nil {
		t.Fatal(err)
	}
	if d := maxAbsDiff(got, want); d >= 1e-6 {
		t.Fatalf("zero image: fast and gorgonia differ by %g", d)
	}
}

func TestEncoderAllocs(t *testing.T) { forEachPath(t, testEncoderAllocs) }

func testEncoderAllocs(t *testing.T, kern kernels) {
	fast, err := newEncoder(NewWeights(1), 8, kern)
	if err != nil {
		t.Fatal(err)
	}
	x := flatten(randomImages(1, 8))
	codes := make([]float32, 8*CodeSize)
	if a := testing.AllocsPerRun(20, func() { fast.Encode(x, 8, codes) }); a != 0 {
		t.Fatalf("Encode allocates %v times per call, want 0", a)
	}
}

func TestEncoderBadArgs(t *testing.T) {
	if _, err := NewEncoder(NewWeights(1), 0); err == nil {
		t.Fatal("max batch 0 accepted")
	}
	bad := NewWeights(1)
	bad.Convs[Enc2].W = bad.Convs[Enc2].W[:10]
	if _, err := NewEncoder(bad, 4); err == nil {
		t.Fatal("short weights accepted")
	}
	fast, err := NewEncoder(NewWeights(1), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Encode of 3 images with max batch 2 did not panic")
		}
	}()
	fast.Encode(make([]float32, 3*Pixels), 3, make([]float32, 3*CodeSize))
}

func TestGorgoniaEncoderBadArgs(t *testing.T) {
	ref, err := NewGorgoniaEncoder(NewWeights(1), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	if err := ref.Encode(make([]float32, Pixels), make([]float32, 2*CodeSize)); err == nil {
		t.Fatal("one image accepted by a batch-2 encoder")
	}
	if err := ref.Encode(make([]float32, 2*Pixels), make([]float32, CodeSize)); err == nil {
		t.Fatal("short code buffer accepted")
	}
}
