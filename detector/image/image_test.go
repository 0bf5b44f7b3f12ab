package image

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

func TestFillLayoutAndPadding(t *testing.T) {
	prefix := make([]byte, 100)
	for i := range prefix {
		prefix[i] = byte(i * 3)
	}
	dst := make([]float32, Pixels)
	for i := range dst {
		dst[i] = 9 // must be overwritten, padding included
	}
	Fill(dst, prefix)
	for i, v := range dst {
		want := float32(0)
		if i < len(prefix) {
			want = float32(prefix[i]) / 255
		}
		if v != want {
			t.Fatalf("pixel %d = %v, want %v", i, v, want)
		}
	}
	// Byte 33 is row 1, column 1.
	img := Gray(prefix)
	if got := GrayAt(img, 1, 1); got != prefix[33] {
		t.Errorf("pixel (1,1) = %d, want byte 33 = %d", got, prefix[33])
	}
	if dst[Pixels-1] != 0 || GrayAt(img, 31, 31) != 0 {
		t.Error("padding is not zero")
	}
}

func TestGrayPNGRoundTrip(t *testing.T) {
	prefix := bytes.Repeat([]byte{0x16, 0x03, 0x01, 0xff}, 300) // longer than the image
	var buf bytes.Buffer
	if err := png.Encode(&buf, Gray(prefix)); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != Side || b.Dy() != Side {
		t.Fatalf("size %v", b)
	}
	for i := range Pixels {
		r, _, _, _ := img.At(i%Side, i/Side).RGBA()
		if byte(r>>8) != prefix[i] {
			t.Fatalf("pixel %d = %d, want %d", i, r>>8, prefix[i])
		}
	}
}

func BenchmarkFill(b *testing.B) {
	prefix := bytes.Repeat([]byte{1, 2, 3, 4}, 256)
	dst := make([]float32, Pixels)
	b.ReportAllocs()
	for range b.N {
		Fill(dst, prefix)
	}
}

// GrayAt reads pixel (row, col) of an image made by Gray.
func GrayAt(img *image.Gray, row, col int) byte {
	return img.At(col, row).(color.Gray).Y
}
