package detector

import (
	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/detector/mask"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// imager turns inputs into images in the model's layout. One per scorer.
type imager struct {
	masked bool
	buf    []byte
}

// fill writes in's image into dst: the prefix, masked when the layout
// says so (parsing the handshake when the caller did not).
func (im *imager) fill(dst []float32, in Input) {
	im.buf = im.bytes(im.buf, in)
	image.Fill(dst, im.buf)
}

// bytes returns the bytes of in's image: the prefix itself, or, when the
// layout masks it, the prefix masked into buf (parsing the handshake when
// the caller did not).
func (im *imager) bytes(buf []byte, in Input) []byte {
	if !im.masked {
		return in.Flow.Prefix
	}
	h := in.TLS
	if h == nil {
		h = tlsparse.FromFlow(in.Flow, nil)
	}
	return mask.Apply(buf, in.Flow.Prefix, h)
}
