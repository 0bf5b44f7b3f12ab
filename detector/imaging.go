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
	if !im.masked {
		image.Fill(dst, in.Flow.Prefix)
		return
	}
	h := in.TLS
	if h == nil {
		h = tlsparse.FromFlow(in.Flow, nil)
	}
	im.buf = mask.Apply(im.buf, in.Flow.Prefix, h)
	image.Fill(dst, im.buf)
}
